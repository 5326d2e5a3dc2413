/**
 * Corruption: a job runs some batches and stops (cleanly, or dying inside a commit so a batch plan
 * is pending); one stored value is damaged (a flipped byte, a truncated or an empty value) in a
 * batch plan, a commit record, a WAL block, a snapshot chunk or manifest, the WAL head or the meta
 * record; the job restarts and runs to the end. Recovery either fails with DSTREAM_STORAGE_CORRUPT
 * naming the damaged key, or gives exactly the result of a run without damage; a damaged snapshot
 * must always be survived, by falling back to an older snapshot or to the deltas. Never a silently
 * wrong result.
 *
 * Replay: DSTREAM_SEED=<seed printed> [DSTREAM_PATH=<path>] npx vitest run property-tests/corruption.test.ts
 */
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { ErrorCodes } from "../errors.js";
import { ManualClock } from "../lib/clock.js";
import { StateSpec, type DStream } from "../lib/dstream/internal.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { CheckpointStore } from "../storage/checkpoint-store.js";
import { FaultInjectingKv, SimulatedCrash } from "../storage/fault-kv.js";
import { decodeKey, MANIFEST_CHUNK, printKey } from "../storage/keys.js";
import { collect, type KvOp, type KvWriteOptions } from "../storage/kv.js";
import { MemoryKv } from "../storage/memory-kv.js";
import { kindOf } from "./support/observed-kv.js";
import { asCompared, canonical, replayParams, runs } from "./support/seed.js";
import { SourceReceiver } from "./support/source-receiver.js";

const BATCH = 1000;
const RUNS = runs(150, 2000);

/** Dies (as FaultInjectingKv does) at the first commit write once armed: that batch's plan stays pending. */
class DieAtCommitKv extends FaultInjectingKv {
  armed = false;
  override write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    if (this.armed && kindOf(ops) === "commit") this.crashNow();
    return super.write(ops, options);
  }
}

type Outputs = Map<string, string>;

/** Three stateful operators and a window, each to its own output. */
function pipeline(s: DStream<number>, record: (name: string, time: number, xs: unknown[]) => void): void {
  const pairs = s.map((x): [number, number] => [x % 3, x]);
  pairs.updateStateByKey<number, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0)).foreachRDD((r, t) => record("usbk", t, r.collect()));
  pairs
    .mapWithState(
      StateSpec.function<number, number, number, number>((k, v, st) => {
        if (st.isTimingOut()) return -k;
        st.update((st.getOption() ?? 0) + (v ?? 0));
        return k * 1000 + st.get();
      }).timeout(2 * BATCH),
    )
    .foreachRDD((r, t) => record("mws", t, r.collect()));
  pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3 * BATCH, BATCH).foreachRDD((r, t) => record("rbkaw", t, r.collect()));
  s.window(2 * BATCH, BATCH).foreachRDD((r, t) => record("window", t, r.collect()));
}

interface Run {
  outputs: Outputs;
  state: string;
}

/** Runs batches `from..to-1` (0-based) on a new handle of `kv`, as one process; input chunk i is batch i's records. */
async function runProcess(kv: MemoryKv, input: number[][], from: number, to: number, options: { dieInCommitOf?: number } = {}): Promise<Run> {
  const outputs: Outputs = new Map();
  const clock = new ManualClock(from * BATCH);
  const store = new DieAtCommitKv(kv.reopen());
  const receiver = new SourceReceiver<number>(input);
  const ssc = await StreamingContext.getOrCreate("(memory)", () => {
    const s = new StreamingContext({ batchDuration: BATCH, clock, checkpointOptions: { snapshotInterval: 2, retainBatches: 2, openStore: () => CheckpointStore.over(store) } });
    pipeline(s.receiverStream(receiver), (name, t, xs) => outputs.set(`${name}@${t}`, asCompared(xs)));
    return s;
  });
  try {
    await ssc.start();
    for (let b = Math.round(clock.now() / BATCH); b < to; b++) {
      await receiver.feedTo(b + 1);
      if (b === options.dieInCommitOf) store.armed = true;
      try {
        await clock.advance(BATCH);
      } catch (err) {
        if (!SimulatedCrash.is(err) || !store.armed) throw err;
        break; // the process died inside the commit: that batch's plan stays pending
      }
    }
    return { outputs, state: canonical(ssc.graph.stateOperators.map((op) => op.snapshot())) };
  } finally {
    await ssc.stop().catch(() => undefined);
  }
}

const categories = ["plan", "commit", "wal", "walhead", "snapshot-chunk", "snapshot-manifest", "meta"] as const;
type Category = (typeof categories)[number];

function categoryOf(key: Buffer): Category | undefined {
  const d = decodeKey(key);
  switch (d.space) {
    case "batch":
      return "plan";
    case "commit":
    case "wal":
    case "walhead":
    case "meta":
      return d.space;
    case "snapshot":
      return d.chunk === MANIFEST_CHUNK ? "snapshot-manifest" : "snapshot-chunk";
    default:
      return undefined;
  }
}

function damage(value: Buffer, how: "flip" | "truncate" | "empty", pick: number): Buffer {
  if (how === "empty") return Buffer.alloc(0);
  if (how === "truncate") return value.subarray(0, pick % value.length);
  const out = Buffer.from(value);
  const i = pick % out.length;
  out[i] = out[i]! ^ (1 + (pick % 255));
  return out;
}

/** The StorageError in an error's cause chain, if any. */
function storageCause(err: unknown): { code?: string; key?: string; message?: string } | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 8; depth++) {
    if ((e as { code?: unknown }).code === ErrorCodes.STORAGE_CORRUPT) return e as { code: string; key?: string; message: string };
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const outcomes = new Map<string, number>();
afterAll(() => console.log(`[corruption] outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`));

it(`a damaged record stops recovery naming its key, or recovery gives the right result (${RUNS} runs)`, async () => {
  const batches = fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }), { minLength: 6, maxLength: 9 });
  await fc.assert(
    fc.asyncProperty(
      batches,
      fc.integer({ min: 1, max: 8 }),
      fc.boolean(),
      fc.constantFrom(...categories),
      fc.constantFrom("flip" as const, "truncate" as const, "empty" as const),
      fc.nat(),
      async (input, stopAfterRaw, pending, category, how, pick) => {
        const total = input.length + 2;
        const stopAfter = Math.min(stopAfterRaw, input.length - 1);
        const reference = await runProcess(new MemoryKv(), input, 0, total);

        const kv = new MemoryKv();
        const resumeAt = pending ? stopAfter + 1 : stopAfter;
        await runProcess(kv, input, 0, resumeAt, pending ? { dieInCommitOf: stopAfter } : {});
        const handle = kv.reopen();
        const candidates = (await collect(handle.iterate({}))).filter(([k]) => categoryOf(k) === category);
        fc.pre(candidates.length > 0);
        const [key, value] = candidates[pick % candidates.length]!;
        await handle.write([{ type: "put", key, value: damage(value, how, Math.floor(pick / 7)) }], { sync: true });
        const name = printKey(key);

        let got: Run;
        try {
          got = await runProcess(kv, input, resumeAt, total);
        } catch (err) {
          const cause = storageCause(err);
          expect(cause, `${category} ${name} damaged (${how}): recovery failed with another error: ${String(err)}`).toBeDefined();
          expect(category.startsWith("snapshot"), `a damaged snapshot (${name}) must be survived: ${String(err)}`).toBe(false);
          expect(`${cause!.key} ${cause!.message}`, "the error names the damaged key").toContain(name);
          outcomes.set(`${category}: ${ErrorCodes.STORAGE_CORRUPT}`, (outcomes.get(`${category}: ${ErrorCodes.STORAGE_CORRUPT}`) ?? 0) + 1);
          return;
        }
        for (const [k, out] of got.outputs) expect(out, `${category} ${name} damaged (${how}), recovered: ${k}`).toBe(reference.outputs.get(k));
        expect(got.state, `${category} ${name} damaged (${how}): final state`).toBe(reference.state);
        outcomes.set(`${category}: right result`, (outcomes.get(`${category}: right result`) ?? 0) + 1);
      },
    ),
    { ...replayParams("corruption"), numRuns: RUNS },
  );
}, 600_000);
