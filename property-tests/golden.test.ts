/**
 * The on-disk format is pinned by a golden checkpoint (fixtures/golden-v1, written by
 * fixtures/make-golden.ts): batches 1-5 committed with snapshots and cleanup, batch 6 planned and
 * cut short inside its commit. A build must read it: the same keys and meta, recovery that
 * re-runs batch 6 from its plan and the WAL, resumes the receiver at its stored offset, and gives
 * the outputs and state of a run that never stopped. A format change breaks this test until a
 * migration (and a golden-v2) is written. LevelDB writes to the directory it opens, so the test
 * opens a copy.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { CheckpointStore, FORMAT_VERSION } from "../storage/checkpoint-store.js";
import { printKey } from "../storage/keys.js";
import { collect } from "../storage/kv.js";
import { LevelKv } from "../storage/level-kv.js";
import { GOLDEN_BATCH, GOLDEN_BATCH_ENDS, GOLDEN_COMMITTED, goldenJob } from "./fixtures/golden-job.js";
import { canonical } from "./support/seed.js";

const fixture = fileURLToPath(new URL("./fixtures/golden-v1", import.meta.url));
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), "dstream-golden-"));
  temps.push(d);
  return d;
}

const GOLDEN_KEYS = [
  "batch/00000000000007d0", "batch/0000000000000bb8", "batch/0000000000000fa0", "batch/0000000000001388", "batch/0000000000001770",
  "commit/0000000000000bb8", "commit/0000000000000fa0", "commit/0000000000001388",
  "meta/checkpoint",
  "snapshot/2/00000000000007d0/0", "snapshot/2/00000000000007d0/manifest", "snapshot/2/0000000000000fa0/0", "snapshot/2/0000000000000fa0/manifest",
  "snapshot/4/00000000000007d0/0", "snapshot/4/00000000000007d0/manifest", "snapshot/4/0000000000000fa0/0", "snapshot/4/0000000000000fa0/manifest",
  "snapshot/8/00000000000007d0/0", "snapshot/8/00000000000007d0/manifest", "snapshot/8/0000000000000fa0/0", "snapshot/8/0000000000000fa0/manifest",
  "wal/0/0000000000000001", "wal/0/0000000000000002", "wal/0/0000000000000003", "wal/0/0000000000000004", "wal/0/0000000000000005",
];

interface Outcome {
  outputs: Map<string, string>;
  state: string;
  resumedFrom: number[];
  recovered: boolean;
}

/** Runs the golden job on `dir` from `fromBatch` to batch 8 (the clock starts at that batch). */
async function run(dir: string, fromBatch: number): Promise<Outcome> {
  const outputs = new Map<string, string>();
  const clock = new ManualClock(fromBatch * GOLDEN_BATCH);
  const kv = await LevelKv.open(dir);
  let job!: ReturnType<typeof goldenJob>;
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    job = goldenJob(clock, async () => CheckpointStore.over(kv), (name, t, out) => outputs.set(`${name}@${t}`, canonical(out)));
    return job.ssc;
  });
  await ssc.start();
  for (let b = Math.round(clock.now() / GOLDEN_BATCH); b < GOLDEN_BATCH_ENDS.length; b++) {
    await job.receiver.feedTo(GOLDEN_BATCH_ENDS[b]!);
    await clock.advance(GOLDEN_BATCH);
  }
  const state = canonical(ssc.graph.stateOperators.map((op) => [op.operatorId, op.snapshot()]));
  await ssc.stop();
  return { outputs, state, resumedFrom: job.receiver.resumedFrom, recovered: ssc.recovered };
}

it("golden-v1: the key layout and the meta record read back as written", async () => {
  const dir = temp();
  cpSync(fixture, dir, { recursive: true });
  const store = await CheckpointStore.over(await LevelKv.open(dir));
  try {
    expect((await collect(store.kv.keys({}))).map(printKey)).toEqual(GOLDEN_KEYS);
    expect(await store.readMeta()).toMatchObject({ formatVersion: FORMAT_VERSION, zeroTime: 0, batchDuration: 1000, lastCommittedTime: 5000 });
    expect(FORMAT_VERSION).toBe(1);
    expect(await store.wal.lastBlock(0)).toMatchObject({ seq: 5, offset: 6 });
    expect((await store.batchPlansFrom(6000)).map((p) => p.time)).toEqual([6000]);
    expect(await store.readCommit(6000)).toBeUndefined();
  } finally {
    await store.close();
  }
});

it("golden-v1: recovery re-runs the pending batch and continues exactly as a run that never stopped", async () => {
  const dir = temp();
  cpSync(fixture, dir, { recursive: true });
  const recovered = await run(dir, GOLDEN_COMMITTED + 1);
  const fresh = await run(join(temp(), "fresh"), 0);
  expect(recovered.recovered).toBe(true);
  expect(recovered.resumedFrom).toEqual([6]);
  expect([...recovered.outputs.keys()]).toEqual(["counts@6000", "sums@6000", "window@6000", "counts@7000", "sums@7000", "window@7000", "counts@8000", "sums@8000", "window@8000"]);
  for (const [k, out] of recovered.outputs) expect(out, k).toBe(fresh.outputs.get(k));
  expect(recovered.state).toBe(fresh.state);
  // Pinned by hand, so a change in both runs alike is caught too.
  expect(recovered.outputs.get("counts@8000")).toBe(canonical([["a", 5], ["b", 2], ["c", 1], ["d", 1], ["e", 1], ["f", 1]]));
  expect(recovered.outputs.get("window@8000")).toBe(canonical([["a", 2], ["b", 0], ["c", 0], ["d", 0], ["e", 1], ["f", 1]]));
});
