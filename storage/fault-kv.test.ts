/**
 * Crash at every write of a checkpoint scenario (FaultInjectingKv), reopen, and check that what
 * was acknowledged is there and that what belongs together is all there or all absent.
 */
import { describe, expect, it } from "vitest";
import { CheckpointStore } from "./checkpoint-store.js";
import { FaultInjectingKv, SimulatedCrash } from "./fault-kv.js";
import { MemoryKv } from "./memory-kv.js";

const state = new Map(Array.from({ length: 50 }, (_, i) => [i, `v${i}`] as [number, string]));

/** Three batches: blocks, plan, commit with a sink entry, snapshot, cleanup. Records what resolved. */
async function scenario(store: CheckpointStore, acked: { blocks: number; commits: number[] }): Promise<void> {
  await store.writeMeta({ formatVersion: 1, zeroTime: 0, batchDuration: 1000, fingerprint: "fp" });
  for (const t of [1000, 2000, 3000]) {
    await Promise.all([0, 1].map((i) => store.wal.append(0, [`${t}-${i}`], { offset: t + i }).then(() => acked.blocks++)));
    await store.writeBatchPlan(t, { upTo: acked.blocks });
    await store.commit(t, { deltas: { op: [[t, t]] }, sinks: { out: t } });
    acked.commits.push(t);
    await store.writeSnapshot("op", t, state, { chunkEntries: 20 });
    await store.cleanup({ walBelow: { 0: acked.blocks - 2 }, batchesBelow: t, commitsBelow: t, sinksBelow: t, snapshotsBelow: { op: t } });
  }
}

describe("FaultInjectingKv", () => {
  it("counts writes without crashing when no crash point is set", async () => {
    const kv = new FaultInjectingKv(new MemoryKv());
    await scenario(await CheckpointStore.over(kv), { blocks: 0, commits: [] });
    expect(kv.writes).toBeGreaterThan(15);
    expect(kv.crashed).toBe(false);
  });

  it("leaves a consistent checkpoint after a crash at any write", async () => {
    const counting = new FaultInjectingKv(new MemoryKv());
    await scenario(await CheckpointStore.over(counting), { blocks: 0, commits: [] });
    for (let k = 0; k < counting.writes; k++) {
      const mem = new MemoryKv();
      const kv = new FaultInjectingKv(mem, { crashAtWrite: k });
      const acked = { blocks: 0, commits: [] as number[] };
      const err = await scenario(await CheckpointStore.over(kv), acked).catch((e: unknown) => e);
      expect(SimulatedCrash.is(err), `write ${k}`).toBe(true);

      const store = await CheckpointStore.over(mem.reopen());
      const last = await store.wal.lastBlock(0);
      expect((last?.seq ?? -1) + 1, `write ${k}: acked blocks`).toBeGreaterThanOrEqual(acked.blocks);
      const meta = await store.readMeta();
      const lastCommit = await store.lastCommitTime();
      expect(meta?.lastCommittedTime, `write ${k}: meta and commit records agree`).toBe(lastCommit);
      if (lastCommit !== undefined) {
        expect(await store.readCommit(lastCommit)).toMatchObject({ time: lastCommit, deltas: { op: [[lastCommit, lastCommit]] } });
        expect(await store.readSink("out", lastCommit)).toBe(lastCommit);
      }
      expect(lastCommit ?? 0).toBeGreaterThanOrEqual(acked.commits.at(-1) ?? 0);
      const snap = await store.latestSnapshot("op");
      if (snap !== undefined) expect(snap.state).toEqual(state);
      await store.close();
    }
  });
});
