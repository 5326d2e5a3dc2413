/**
 * The storage contract suite: one function, run against every {@link KvStore} implementation
 * (level-kv.test.ts, memory-kv.test.ts). It covers the store itself and the WAL and checkpoint
 * records on top of it, including what must survive closing and reopening.
 */
import { describe, expect, it } from "vitest";
import { StreamingError } from "../errors.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { batchKey, walKey } from "./keys.js";
import { collect, type KvStore } from "./kv.js";

/** Opens a store; `reopen` closes `kv` and opens the same data again (a restart). */
export interface StoreFactory {
  open(): Promise<KvStore>;
  reopen(kv: KvStore): Promise<KvStore>;
}

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const meta = { formatVersion: 1, zeroTime: 0, batchDuration: 1000, fingerprint: { ops: ["a"] } };

/** Registers the contract tests for the store `name`. */
export function storageContract(name: string, factory: StoreFactory): void {
  describe(`storage contract: ${name}`, () => {
    it("puts, deletes and reads atomically written ops", async () => {
      const kv = await factory.open();
      await kv.write([{ type: "put", key: b("a"), value: b("1") }, { type: "put", key: b("b"), value: b("2") }], { sync: true });
      await kv.write([{ type: "del", key: b("a") }, { type: "put", key: b("c"), value: b("3") }], { sync: false });
      expect(await kv.get(b("a"))).toBeUndefined();
      expect((await kv.get(b("b")))?.toString()).toBe("2");
      expect((await kv.getMany!([b("a"), b("c")])).map((v) => v?.toString())).toEqual([undefined, "3"]);
      await kv.close();
    });

    it("iterates in byte order with bounds, reverse and limit", async () => {
      const kv = await factory.open();
      const keys = [Buffer.from([0]), Buffer.from([1]), Buffer.from([1, 0]), Buffer.from([0x7f]), Buffer.from([0x80]), Buffer.from([0xff])];
      await kv.write(keys.map((key) => ({ type: "put" as const, key, value: key })), { sync: false });
      const hex = (xs: Buffer[]) => xs.map((x) => x.toString("hex"));
      expect(hex((await collect(kv.iterate({}))).map(([k]) => k))).toEqual(["00", "01", "0100", "7f", "80", "ff"]);
      expect(hex(await collect(kv.keys({ gt: Buffer.from([1]), lte: Buffer.from([0x80]) })))).toEqual(["0100", "7f", "80"]);
      expect(hex(await collect(kv.keys({ gte: Buffer.from([1]), lt: Buffer.from([0xff]), reverse: true, limit: 2 })))).toEqual(["80", "7f"]);
      await kv.close();
    });

    it("keeps data across close and reopen; close is idempotent; use after close is STORAGE_CLOSED", async () => {
      let kv = await factory.open();
      await kv.write([{ type: "put", key: b("k"), value: b("v") }], { sync: true });
      kv = await factory.reopen(kv);
      expect((await kv.get(b("k")))?.toString()).toBe("v");
      await kv.close();
      await kv.close();
      await expect(kv.get(b("k"))).rejects.toSatisfy((e) => StreamingError.is(e, "DSTREAM_STORAGE_CLOSED"));
      await expect(kv.write([], { sync: false })).rejects.toSatisfy((e) => StreamingError.is(e, "DSTREAM_STORAGE_CLOSED"));
    });

    it("WAL: dense seqs, read back, offsets, numbering and lastBlock survive reopen and cleanup", async () => {
      let kv = await factory.open();
      let store = await CheckpointStore.over(kv);
      const seqs = await Promise.all([0, 1, 2, 3].map((i) => store.wal.append(7, [`a${i}`, i, [i, undefined]], { offset: { pos: i } })));
      expect(seqs.map((s) => s.seq)).toEqual([0, 1, 2, 3]);
      await store.wal.append(9, ["other"]);
      await store.close();
      kv = await factory.reopen(kv);
      store = await CheckpointStore.over(kv);
      expect(await store.wal.lastBlock(7)).toEqual({ seq: 3, offset: { pos: 3 } });
      expect(await store.wal.receivers()).toEqual([7, 9]);
      expect(await store.wal.read(7, 1, 3)).toEqual([
        { seq: 1, records: ["a1", 1, [1, undefined]], offset: { pos: 1 } },
        { seq: 2, records: ["a2", 2, [2, undefined]], offset: { pos: 2 } },
      ]);
      await store.cleanup({ walBelow: { 7: 10 } }); // deletes every block of 7, even the newest
      expect(await store.wal.read(7, 0, 10)).toEqual([]);
      await store.close();
      kv = await factory.reopen(kv);
      store = await CheckpointStore.over(kv);
      expect(await store.wal.lastBlock(7)).toEqual({ seq: 3, offset: { pos: 3 } });
      expect((await store.wal.append(7, ["next"])).seq).toBe(4);
      expect((await store.wal.read(9, 0, 1))[0]?.records).toEqual(["other"]);
      await store.close();
    });

    it("checkpoint records: meta, plans, atomic commit with sinks, cleanup", async () => {
      let kv = await factory.open();
      let store = await CheckpointStore.over(kv);
      expect(await store.readMeta()).toBeUndefined();
      await store.writeMeta(meta);
      for (const t of [1000, 2000, 3000]) {
        await store.writeBatchPlan(t, { inputs: { 7: { fromSeq: t / 1000, toSeq: t / 1000 + 1 } } });
        await store.commit(t, { deltas: { op1: new Map([["w", t]]) }, sinks: { out: { file: `f-${t}` } }, fingerprint: "fp" });
      }
      await store.close();
      kv = await factory.reopen(kv);
      store = await CheckpointStore.over(kv);
      expect(await store.readMeta()).toEqual({ ...meta, lastCommittedTime: 3000 });
      expect((await store.batchPlansFrom(2000)).map((p) => p.time)).toEqual([2000, 3000]);
      expect(await store.readBatchPlan(1000)).toEqual({ inputs: { 7: { fromSeq: 1, toSeq: 2 } } });
      // Each commit links to the one before it (recovery checks the chain for gaps).
      expect(await store.readCommit(2000)).toEqual({ time: 2000, prev: 1000, fingerprint: "fp", deltas: { op1: new Map([["w", 2000]]) } });
      expect((await store.readCommit(1000))?.prev).toBeNull();
      expect(await store.readSink("out", 3000)).toEqual({ file: "f-3000" });
      expect(await store.lastCommitTime()).toBe(3000);
      await store.cleanup({ batchesBelow: 3000, commitsBelow: 3000, sinksBelow: 2000 });
      expect((await store.batchPlansFrom(0)).map((p) => p.time)).toEqual([3000]);
      expect((await store.commitsFrom(0)).map((c) => c.time)).toEqual([3000]);
      expect(await store.readSink("out", 1000)).toBeUndefined();
      expect(await store.readSink("out", 2000)).toEqual({ file: "f-2000" });
      expect(await store.kv.get(batchKey(2000))).toBeUndefined();
      await store.close();
    });

    it("snapshots: chunked, newest complete one wins, half-written ones are ignored, deletable", async () => {
      const kv = await factory.open();
      const store = await CheckpointStore.over(kv);
      const big = new Map(Array.from({ length: 2500 }, (_, i) => [`k${i}`, i] as [string, number]));
      await store.writeSnapshot("op", 1000, big, { chunkEntries: 1000 });
      await store.writeSnapshot("op", 2000, [[1, "a"], [2, undefined]], { chunkEntries: 1 });
      expect(await store.latestSnapshot("op")).toEqual({ version: 2000, state: [[1, "a"], [2, undefined]] });
      // A snapshot cut short: chunks without a manifest.
      await kv.write([{ type: "put", key: (await import("./keys.js")).snapshotKey("op", 3000, 0), value: b("garbage") }], { sync: true });
      expect((await store.latestSnapshot("op"))?.version).toBe(2000);
      await store.deleteSnapshotsBelow("op", 2000);
      expect((await store.latestSnapshot("op"))?.version).toBe(2000);
      await store.writeSnapshot("op", 4000, big, { chunkEntries: 1000 });
      expect(await store.latestSnapshot("op")).toEqual({ version: 4000, state: big });
      expect(await store.latestSnapshot("other")).toBeUndefined();
      await store.writeSnapshot("scalar", 5, { total: 12n });
      expect(await store.latestSnapshot("scalar")).toEqual({ version: 5, state: { total: 12n } });
      expect(await store.kv.get(walKey(1, 0))).toBeUndefined();
      await store.close();
    });
  });
}
