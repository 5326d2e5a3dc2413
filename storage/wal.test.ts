import { describe, expect, it } from "vitest";
import { decodeKey } from "./keys.js";
import type { KvOp, KvStore, KvWriteOptions } from "./kv.js";
import { FaultInjectingKv, SimulatedCrash } from "./fault-kv.js";
import { MemoryKv } from "./memory-kv.js";
import { Wal } from "./wal.js";

/** Holds each write until released, and records which WAL seqs are durable. */
class GatedKv extends FaultInjectingKv {
  durable = new Set<number>();
  syncs: boolean[] = [];
  #gates: (() => void)[] = [];
  hold = true;

  override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    if (this.hold) await new Promise<void>((r) => this.#gates.push(r));
    await super.write(ops, options);
    this.syncs.push(options.sync);
    for (const op of ops) {
      const d = decodeKey(op.key);
      if (d.space === "wal") this.durable.add(d.seq);
    }
  }

  release(): void {
    this.hold = false;
    for (const g of this.#gates.splice(0)) g();
  }
}

describe("WAL group commit", () => {
  it("shares writes between concurrent appends; each resolves only once its block is durable; seqs dense", async () => {
    const kv = new GatedKv(new MemoryKv());
    const wal = await Wal.open(kv);
    const early: boolean[] = [];
    const track = (p: Promise<{ seq: number }>) => p.then(({ seq }) => (early.push(!kv.durable.has(seq)), seq));
    const first = Array.from({ length: 10 }, (_, i) => track(wal.append(0, [`r${i}`])));
    await Promise.resolve(); // the first group's write is now in flight and held
    await Promise.resolve();
    const later = Array.from({ length: 90 }, (_, i) => track(wal.append(0, [`s${i}`], { sync: i % 2 === 0 })));
    await new Promise((r) => setImmediate(r));
    expect(kv.durable.size).toBe(0);
    kv.release();
    const seqs = await Promise.all([...first, ...later]);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(early.every((e) => !e)).toBe(true);
    expect(wal.writes).toBeLessThan(100);
    expect(wal.writes).toBe(2);
    expect(kv.syncs.every((s) => s)).toBe(true);
    expect((await wal.lastBlock(0))?.seq).toBe(99);
  });

  it("writes an unsynced group unsynced", async () => {
    const kv = new GatedKv(new MemoryKv());
    kv.hold = false;
    const wal = await Wal.open(kv);
    await Promise.all([wal.append(1, ["a"], { sync: false }), wal.append(1, ["b"], { sync: false })]);
    expect(kv.syncs).toEqual([false]);
  });

  it("after a failed write refuses further appends; a reopen continues from the durable prefix", async () => {
    const mem = new MemoryKv();
    const kv = new FaultInjectingKv(mem, { crashAtWrite: 2 });
    const wal = await Wal.open(kv);
    expect((await wal.append(0, ["a"])).seq).toBe(0);
    expect((await wal.append(0, ["b"])).seq).toBe(1);
    const failed = await Promise.allSettled([wal.append(0, ["c"]), wal.append(0, ["d"])]);
    expect(failed.every((r) => r.status === "rejected" && SimulatedCrash.is(r.reason))).toBe(true);
    await expect(wal.append(0, ["e"])).rejects.toSatisfy(SimulatedCrash.is);
    const again = await Wal.open(mem.reopen());
    expect(await again.lastBlock(0)).toEqual({ seq: 1, offset: undefined });
    expect((await again.append(0, ["c"])).seq).toBe(2);
    expect((await again.read(0, 0, 10)).map((b) => b.records)).toEqual([["a"], ["b"], ["c"]]);
  });

  it("rejects bad arguments without using up a seq", async () => {
    const wal = await Wal.open(new MemoryKv());
    await expect(wal.append(-1, ["x"])).rejects.toThrow(RangeError);
    await expect(wal.append(0, "x" as unknown as unknown[])).rejects.toThrow(TypeError);
    await expect(wal.append(0, [Symbol("unpackable")])).rejects.toThrow();
    expect((await wal.append(0, ["y"])).seq).toBe(0);
  });

  it("close waits for pending appends and refuses new ones", async () => {
    const kv: KvStore = new MemoryKv();
    const wal = await Wal.open(kv);
    const p = wal.append(3, ["x"]);
    await wal.close();
    await expect(p).resolves.toEqual({ seq: 0 });
    await expect(wal.append(3, ["y"])).rejects.toSatisfy((e: unknown) => (e as { code?: string }).code === "DSTREAM_STORAGE_CLOSED");
    await wal.close();
  });
});

describe("WAL block layouts", () => {
  it("round-trips string blocks, mixed blocks and empty blocks", async () => {
    const wal = await Wal.open(new MemoryKv());
    const blocks: unknown[][] = [["a", "", "ü€😀", "x".repeat(1000)], ["a", 1, undefined, ["k", 2n]], []];
    for (const b of blocks) await wal.append(5, b, { offset: b.length });
    expect((await wal.read(5, 0, 3)).map((b) => [b.records, b.offset])).toEqual(blocks.map((b) => [b, b.length]));
  });

  it("keeps record boundaries for strings with lone surrogates (msgpack's UTF-8 cannot keep the surrogate itself)", async () => {
    const wal = await Wal.open(new MemoryKv());
    await wal.append(5, ["\ud800", "ok"]);
    const [block] = await wal.read(5, 0, 1);
    expect(block?.records).toHaveLength(2);
    expect(block?.records[1]).toBe("ok");
  });
});
