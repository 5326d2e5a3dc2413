import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import type { ReceiverInfo } from "../listener.js";
import { StreamingContext } from "../streaming-context.js";
import { TestReceiver } from "../test-support/test-receiver.js";

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** Lets pending promise callbacks run (the pump below continues in them); no clock or wall time passes. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function job(maxRate: number, options: { backpressure?: boolean } = {}) {
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock, ...options });
  const receiver = new TestReceiver<number>({ name: "pump", maxRate });
  const input = ssc.receiverStream(receiver);
  const batches: number[][] = [];
  const errors: ReceiverInfo[] = [];
  input.foreachRDD((rdd) => void batches.push(rdd.collect()));
  ssc.addStreamingListener({ onReceiverError: (e) => void errors.push(e.receiverInfo) });
  await ssc.start();
  return { clock, receiver, input, batches, errors };
}

describe("store() under a rate limit (Spark's blocking store)", () => {
  it("a receiver that awaits store() is held at the rate: the buffer never holds more than one second's worth", async () => {
    const { clock, receiver, input, batches, errors } = await job(1000);
    let taken = 0;
    let maxBuffered = 0;
    const pump = (async () => {
      for (let i = 0; i < 5000; i++) {
        taken++;
        await receiver.store(i);
        maxBuffered = Math.max(maxBuffered, input.pendingRecords);
      }
    })();
    await settle();
    // The 1,000th record filled the buffer to its bound (1,000 records/s × 1 s): the pump waits.
    expect(taken).toBe(1000);
    for (let i = 0; i < 5; i++) await settle();
    expect(taken).toBe(1000);
    for (let s = 1; s <= 8; s++) {
      await clock.advance(1000);
      await settle();
      // What the pump took: the first bucket (1,000), the rate since, and the bound of the buffer.
      expect(taken).toBeLessThanOrEqual(Math.min(5000, 1000 + 1000 * s + 1000));
    }
    await pump;
    expect(batches.flat()).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    // Buffered, plus blocks cut and not yet planned (at most a batch's worth at the rate).
    expect(maxBuffered).toBeLessThanOrEqual(2000);
    expect(errors).toEqual([]);
  });

  it("a receiver that ignores the promise loses nothing, and is told once when the buffer passes 10 times its bound", async () => {
    const { clock, receiver, batches, errors } = await job(100);
    for (let i = 0; i < 1000; i++) void receiver.store(i);
    expect(errors).toEqual([]);
    for (let i = 1000; i < 3000; i++) void receiver.store(i);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.lastErrorMessage).toMatch(/store\(\) holds 1001 records .* bound of 100 .*Await the promise store\(\) returns/);
    expect(errors[0]?.lastError).toMatch(/^ReceiverError: /);
    for (let s = 0; s < 31; s++) await clock.advance(1000);
    expect(batches.flat()).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(errors).toHaveLength(1);
  });

  it("follows the backpressure estimate, and is unbounded before the first one", async () => {
    const { receiver, errors } = await job(800, { backpressure: true });
    // maxRate caps the initial rate: the bound is 800 records.
    const first = Array.from({ length: 800 }, (_, i) => receiver.store(i));
    const state = first.map(() => false);
    first.forEach((p, i) => void p.then(() => (state[i] = true)));
    await settle();
    expect(state.slice(0, 799).every(Boolean)).toBe(true);
    expect(state[799]).toBe(false);
    expect(errors).toEqual([]);
  });

  it("lets a graceful stop take what onStop stores, even past the rate", async () => {
    const clock = new ManualClock();
    const local = new StreamingContext({ batchDuration: 1000, clock });
    ssc = local;
    const seen: number[] = [];
    class LastWords extends TestReceiver<number> {
      override async onStop(): Promise<void> {
        for (let i = 0; i < 50; i++) await this.store(i);
      }
    }
    local.receiverStream(new LastWords({ name: "last-words", maxRate: 10 })).foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await local.start();
    const stopping = local.stop({ stopGracefully: true });
    // A graceful stop runs the remaining batches on the clock: move it until the stop completes.
    let done = false;
    void stopping.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) {
      await clock.advance(1000);
      await settle();
    }
    await stopping;
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
