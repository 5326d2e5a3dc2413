import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes, ReceiverError } from "../../errors.js";
import { ManualClock } from "../clock.js";
import type { ReceiverInfo } from "../listener.js";
import { StreamingContext } from "../streaming-context.js";
import { TestReceiver } from "../test-support/test-receiver.js";

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** A context on a ManualClock at 0 with one receiver stream; batches are collected per partition. */
function setup(receiver: TestReceiver<number>, options: { blockInterval?: number } = {}) {
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock, blockInterval: options.blockInterval ?? 200 });
  const batches: [number, number[][]][] = [];
  ssc.receiverStream(receiver).glom().foreachRDD((rdd, t) => void batches.push([t, rdd.collect()]));
  const events: [string, ReceiverInfo][] = [];
  ssc.addStreamingListener({
    onReceiverStarted: (e) => void events.push(["started", e.receiverInfo]),
    onReceiverStopped: (e) => void events.push(["stopped", e.receiverInfo]),
    onReceiverError: (e) => void events.push(["error", e.receiverInfo]),
  });
  return { ssc, clock, batches, events };
}

describe("Receiver life cycle", () => {
  it("starts with the context, stops with it, and refuses storeMany afterwards", async () => {
    const r = new TestReceiver<number>({ name: "r" });
    const { ssc, events } = setup(r);
    expect(r.isStarted()).toBe(false);
    await ssc.start();
    expect([r.starts, r.isStarted(), r.isStopped(), r.streamId]).toEqual([1, true, false, 0]);
    await ssc.stop();
    expect([r.stops, r.isStarted(), r.isStopped()]).toEqual([1, false, true]);
    expect(events.map(([e, i]) => [e, i.name, i.active])).toEqual([
      ["started", "r", true],
      ["stopped", "r", false],
    ]);
    const err = await r.storeMany([1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReceiverError);
    expect(err).toMatchObject({ code: ErrorCodes.RECEIVER_STOPPED });
    expect(() => r.store(1)).toThrow(expect.objectContaining({ code: ErrorCodes.RECEIVER_STOPPED }));
  });

  it("refuses a receiver outside a context, fed to two streams, or with a bad maxRate", async () => {
    const r = new TestReceiver<number>();
    expect(() => r.store(1)).toThrow(expect.objectContaining({ code: ErrorCodes.RECEIVER_STOPPED }));
    await expect(r.storeMany([1])).rejects.toMatchObject({ code: ErrorCodes.RECEIVER_STOPPED });
    const { ssc } = setup(r);
    expect(() => ssc.receiverStream(r)).toThrow(TypeError);
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => new TestReceiver({ maxRate: bad })).toThrow(RangeError);
    expect(() => new TestReceiver({ maxRate: "5" as unknown as number })).toThrow(TypeError);
  });

  it("restarts through the supervisor: onStop now, onStart after the delay, doubling without data", async () => {
    const r = new TestReceiver<number>({ name: "r" });
    const { ssc, clock, events } = setup(r);
    await ssc.start();
    r.restart("connection lost", new Error("boom"), 500);
    await clock.advance(0);
    expect([r.stops, r.isStopped(), r.isStarted()]).toEqual([1, true, false]);
    expect(events.map(([e]) => e)).toEqual(["started", "error", "stopped"]);
    expect(events[1]?.[1]).toMatchObject({ streamId: 0, lastErrorMessage: "connection lost", lastError: expect.stringMatching(/boom/), lastErrorTime: 0 });
    r.restart("again", undefined, 500); // ignored: a restart is under way
    await clock.advance(499);
    expect(r.starts).toBe(1);
    await clock.advance(1);
    expect([r.starts, r.isStarted()]).toEqual([2, true]);

    r.restart("still failing", undefined, 500);
    await clock.advance(999);
    expect(r.starts).toBe(2);
    await clock.advance(1);
    expect(r.starts).toBe(3); // backoff: 1000 ms the second time

    r.store(1); // storing resets the backoff
    r.restart("after data", undefined, 500);
    await clock.advance(500);
    expect(r.starts).toBe(4);
    expect(events.filter(([e]) => e === "started")).toHaveLength(4);
  });

  it("stop() by the receiver keeps the context running", async () => {
    const r2 = new TestReceiver<number>();
    const second = setup(r2);
    await second.ssc.start();
    r2.stop("done");
    await second.clock.advance(0);
    expect([r2.isStopped(), r2.stops, second.ssc.getState()]).toEqual([true, 1, "active"]);
    r2.stop("twice"); // idempotent
    expect(r2.stops).toBe(1);
  });

  it("reportError tells listeners without stopping", async () => {
    const r = new TestReceiver<number>();
    const { ssc, events } = setup(r);
    await ssc.start();
    r.reportError("bad record", "not json");
    expect(events.at(-1)).toEqual(["error", expect.objectContaining({ active: true, lastErrorMessage: "bad record", lastError: "not json" })]);
    expect(r.isStarted()).toBe(true);
  });
});

describe("Receiver blocks and batches", () => {
  it("cuts store()d records into a block every blockInterval; each block goes into exactly one batch", async () => {
    const r = new TestReceiver<number>();
    const { ssc, clock, batches } = setup(r);
    await ssc.start();
    r.store(1);
    r.store(2);
    await clock.advance(300); // block [1, 2] cut at 200
    r.store(3);
    await clock.advance(699); // block [3] cut at 400
    r.store(4); // stored at 999: cut at 1000, before the batch
    await clock.advance(1);
    r.store(5);
    await clock.advance(1000);
    await clock.advance(1000);
    expect(batches).toEqual([
      [1000, [[1, 2], [3], [4]]],
      [2000, [[5]]],
      [3000, []],
    ]);
  });

  it("puts records stored before a batch into it even when the block interval does not divide the batch", async () => {
    const r = new TestReceiver<number>();
    const { ssc, clock, batches } = setup(r, { blockInterval: 300 });
    await ssc.start();
    await clock.advance(950);
    r.store(1); // the next cut would be at 1200: the batch at 1000 cuts it
    await clock.advance(1050);
    expect(batches).toEqual([
      [1000, [[1]]],
      [2000, []],
    ]);
  });

  it("storeMany resolves with its block stored and the offset recorded; the block goes into the next batch", async () => {
    const r = new TestReceiver<string>();
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchDuration: 1000, clock });
    const batches: string[][][] = [];
    ssc.receiverStream(r).glom().foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    expect(r.lastStoredOffset()).toBeUndefined();
    await r.storeMany(["a", "b"], { offset: 2 });
    expect(r.lastStoredOffset()).toBe(2);
    r.store("c");
    await r.storeMany(["d"], { offset: { partition: 0, position: 3 } });
    expect(r.lastStoredOffset()).toEqual({ partition: 0, position: 3 });
    await clock.advance(2000);
    expect(batches).toEqual([[["a", "b"], ["d"], ["c"]], []]);
  });

  it("a graceful stop drains stored records into a last batch", async () => {
    const r = new TestReceiver<number>();
    const { ssc, clock, batches } = setup(r);
    await ssc.start();
    await clock.advance(1000);
    r.store(7);
    await ssc.stop({ stopGracefully: true });
    expect(batches.map(([, b]) => b)).toEqual([[], [[7]]]);
  });
});

describe("Receiver maxRate", () => {
  it("storeMany waits on the context clock for the bucket", async () => {
    const r = new TestReceiver<number>({ maxRate: 10 });
    const { ssc, clock } = setup(r);
    await ssc.start();
    let done = false;
    await r.storeMany(Array.from({ length: 10 }, (_, i) => i)); // one second's worth is free
    const p = r.storeMany(Array.from({ length: 20 }, (_, i) => i)).then(() => (done = true));
    await clock.advance(1999);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
  });

  it("the block generator takes only what the bucket allows; the rest waits for later cuts", async () => {
    const r = new TestReceiver<number>({ maxRate: 5 });
    const { ssc, clock, batches } = setup(r);
    await ssc.start();
    for (let i = 0; i < 20; i++) r.store(i);
    await clock.advance(4000);
    const counts = batches.map(([, parts]) => parts.flat().length);
    // 5 at once (a full bucket), then 1 per 200 ms cut.
    expect(counts).toEqual([9, 5, 5, 1]);
    expect(batches.flatMap(([, parts]) => parts.flat())).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("a storeMany waiting for the bucket rejects when the receiver stops", async () => {
    const r = new TestReceiver<number>({ maxRate: 1 });
    const { ssc } = setup(r);
    await ssc.start();
    await r.storeMany([1]); // the bucket's one token
    const q = r.storeMany([2, 3]);
    await ssc.stop();
    await expect(q).rejects.toMatchObject({ code: ErrorCodes.RECEIVER_STOPPED });
  });
});
