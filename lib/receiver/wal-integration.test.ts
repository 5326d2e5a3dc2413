import { afterEach, describe, expect, it } from "vitest";
import { MemoryKv } from "../../storage/memory-kv.js";
import { Wal } from "../../storage/wal.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import type { BlockStore } from "./block-store.js";
import { ReceiverInputDStream } from "./receiver-input-dstream.js";
import { TestReceiver } from "../test-support/test-receiver.js";

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** One run of a job over `kv`'s WAL: a new process on the same checkpoint, as far as receivers go. */
async function run(kv: MemoryKv, options: { recovered?: boolean } = {}) {
  const wal = await Wal.open(kv.reopen());
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock });
  const receiver = new TestReceiver<string>();
  const stream = new ReceiverInputDStream(ssc, receiver, { blockStore: wal as BlockStore });
  const batches: string[][][] = [];
  stream.glom().foreachRDD((rdd) => void batches.push(rdd.collect()));
  if (options.recovered === true) await stream.restorePlans([]);
  await ssc.start();
  return { wal, clock, receiver, stream, batches, ctx: ssc };
}

describe("receivers on the write-ahead log", () => {
  it("storeMany's block and offset are in the WAL when it resolves; lastStoredOffset survives a restart", async () => {
    const kv = new MemoryKv();
    const first = await run(kv);
    await first.receiver.storeMany(["a", "b"], { offset: 41 });
    expect(await first.wal.read(0, 0, 1)).toEqual([{ seq: 0, records: ["a", "b"], offset: 41 }]);
    first.receiver.store("c"); // a later store() block carries the offset forward
    await first.clock.advance(1000);
    expect(first.batches).toEqual([[["a", "b"], ["c"]]]);
    expect(first.receiver.lastStoredOffset()).toBe(41);
    await first.ctx.stop();

    const second = await run(kv);
    // onStart already saw the offset: a reliable receiver resumes from it.
    expect(second.receiver.offsetsAtStart).toEqual([41]);
    await second.receiver.storeMany(["d"], { offset: 42 });
    expect((await second.wal.lastBlock(0))?.seq).toBe(2); // numbering continues
  });

  it("after a crash, blocks stored but never planned go into the first batch, read back from the WAL", async () => {
    const kv = new MemoryKv();
    const first = await run(kv);
    await first.receiver.storeMany(["x", "y"], { offset: 1 });
    await first.receiver.storeMany(["z"], { offset: 2 });
    // The process dies before any batch: nothing was planned (stop just releases the test's clock).
    await first.ctx.stop();

    const second = await run(kv, { recovered: true });
    await second.clock.advance(1000);
    expect(second.batches).toEqual([[["x", "y"], ["z"]]]);
  });

  it("a batch is planned only once its store() blocks are written", async () => {
    const kv = new MemoryKv();
    const { clock, receiver, stream, wal } = await run(kv);
    receiver.store("p");
    await clock.advance(1000);
    expect(await wal.read(0, 0, 10)).toEqual([{ seq: 0, records: ["p"], offset: undefined }]);
    // Recovery rebuilds the last committed batch (the input remembers one batch): keep its block.
    expect(stream.walWatermark()).toBe(0);
    await clock.advance(1000);
    expect(stream.walWatermark()).toBe(1);
  });

  it("storeMany calls made together share one synced write", async () => {
    const kv = new MemoryKv();
    const { receiver, wal } = await run(kv);
    const before = wal.writes;
    await Promise.all(Array.from({ length: 50 }, (_, i) => receiver.storeMany([String(i)], { offset: i })));
    expect(wal.writes - before).toBe(1);
    expect(receiver.lastStoredOffset()).toBe(49);
  });
});
