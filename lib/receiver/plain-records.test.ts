import { afterEach, describe, expect, it } from "vitest";
import { MemoryKv } from "../../storage/memory-kv.js";
import { Wal } from "../../storage/wal.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { TestReceiver } from "../test-support/test-receiver.js";
import type { BlockStore } from "./block-store.js";
import { ReceiverInputDStream } from "./receiver-input-dstream.js";

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** One run of a receiver job over `kv`'s WAL (a new process on the same checkpoint). */
async function run(kv: MemoryKv, recovered = false) {
  const wal = await Wal.open(kv.reopen());
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock });
  const receiver = new TestReceiver<unknown>({ name: "r" });
  const stream = new ReceiverInputDStream(ssc, receiver, { blockStore: wal as BlockStore });
  const batches: unknown[][] = [];
  stream.foreachRDD((rdd) => void batches.push(rdd.collect()));
  if (recovered) await stream.restorePlans([]);
  await ssc.start();
  return { clock, receiver, batches, ctx: ssc };
}

class Point {
  constructor(readonly x: number) {}
  norm(): number {
    return Math.abs(this.x);
  }
}

describe("receivers take plain data only", () => {
  it("store throws and storeMany rejects a TypeError naming the record and what was found; the receiver and the job go on", async () => {
    const kv = new MemoryKv();
    const { clock, receiver, batches, ctx } = await run(kv);
    const circular: Record<string, unknown> = { id: 1 };
    circular.parent = circular;
    expect(() => receiver.store(circular)).toThrow(TypeError);
    expect(() => receiver.store(circular)).toThrow(/Receiver r: store\(record\): the record is not plain data: found a circular reference .* at \.parent/);
    expect(() => receiver.store({ at: Symbol("s") })).toThrow(/found a symbol \(Symbol\(s\)\) at \.at/);
    await expect(receiver.storeMany(["ok", () => 1])).rejects.toThrow(/storeMany\(records, options\): record 1 is not plain data: found a function/);
    await expect(receiver.storeMany(["ok", "ok", { p: new Point(2) }])).rejects.toThrow(/record 2 is not plain data: found an instance of class Point \(with methods norm\).* at \.p/);
    await expect(receiver.storeMany([Symbol("x")])).rejects.toBeInstanceOf(TypeError);
    await expect(receiver.storeMany(["a"], { offset: new Point(1) })).rejects.toThrow(/the offset is not plain data/);
    // Nothing of the refused calls entered; the next records flow as usual.
    receiver.store("b");
    await receiver.storeMany(["c"], { offset: 3 });
    await clock.advance(2000);
    expect(batches).toEqual([["c", "b"], []]); // storeMany's block is cut at once, store()'s at 200 ms
    expect(ctx.getState()).toBe("active");
    expect(receiver.isStopped()).toBe(false);
  });

  it("records of every plain-data type come back from the WAL exactly as stored", async () => {
    const records: unknown[] = [
      new Set(["a", 1]), -0, NaN, 2n ** 80n, new Date(1_700_000_000_001), new Uint8Array([1, 2]), new Float32Array([0.5]),
      "lone \ud800 surrogate", { k: new Map<unknown, unknown>([[1, -0], [{ o: 1 }, new Set([2])]]) }, [undefined, null, true],
    ];
    const kv = new MemoryKv();
    const first = await run(kv);
    await first.receiver.storeMany(records, { offset: 1 });
    await first.ctx.stop(); // before any batch: the next process reads the block from the WAL

    const second = await run(kv, true);
    await second.clock.advance(1000);
    expect(second.batches).toHaveLength(1);
    expect(second.batches[0]).toStrictEqual(records);
    expect(Object.is(second.batches[0]![1], -0)).toBe(true);
    expect(second.batches[0]![0]).toBeInstanceOf(Set);
  });
});
