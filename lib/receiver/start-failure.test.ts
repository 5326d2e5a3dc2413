import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes, ReceiverError } from "../../errors.js";
import { ManualClock } from "../clock.js";
import type { ReceiverInfo } from "../listener.js";
import { StreamingContext } from "../streaming-context.js";
import { Receiver } from "./receiver.js";

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** A receiver whose onStart fails the first `failures` times (throwing, or rejecting when `async`). */
class FlakyReceiver extends Receiver<number> {
  starts = 0;
  stops = 0;
  constructor(
    private readonly failures: number,
    private readonly async = false,
  ) {
    super({ name: "flaky" });
  }
  onStart(): void | Promise<void> {
    this.starts++;
    if (this.starts > this.failures) return;
    const err = new Error(`no route to host (start ${this.starts})`);
    if (this.async) return Promise.reject(err);
    throw err;
  }
  onStop(): void {
    this.stops++;
  }
}

function setup(receiver: FlakyReceiver, receiverMaxRestarts?: number) {
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock, ...(receiverMaxRestarts === undefined ? {} : { receiverMaxRestarts }) });
  const seen: number[] = [];
  ssc.receiverStream(receiver).foreachRDD((rdd) => void seen.push(...rdd.collect()));
  const errors: ReceiverInfo[] = [];
  const started: ReceiverInfo[] = [];
  ssc.addStreamingListener({ onReceiverError: (e) => void errors.push(e.receiverInfo), onReceiverStarted: (e) => void started.push(e.receiverInfo) });
  return { ssc, clock, seen, errors, started };
}

describe("a receiver whose onStart fails", () => {
  for (const async of [false, true]) {
    it(`is restarted with backoff on the context clock and reported each time (${async ? "rejected promise" : "throws"})`, async () => {
      const r = new FlakyReceiver(2, async);
      const { ssc, clock, seen, errors, started } = setup(r);
      await ssc.start();
      expect([r.starts, errors.length, r.isStarted()]).toEqual([1, 1, false]);
      expect(errors[0]).toMatchObject({ name: "flaky", active: false, lastErrorMessage: expect.stringMatching(/Error starting receiver \(attempt 1 of 9\)/), lastError: expect.stringMatching(/start 1/) });
      await clock.advance(1999);
      expect(r.starts).toBe(1);
      await clock.advance(1); // 2 s after the first failure
      expect([r.starts, errors.length]).toEqual([2, 2]);
      await clock.advance(3999);
      expect(r.starts).toBe(2);
      await clock.advance(1); // backoff doubled: 4 s
      expect([r.starts, r.isStarted(), started.length, ssc.getState()]).toEqual([3, true, 1, "active"]);
      r.store(7);
      await clock.advance(1000);
      expect(seen).toEqual([7]);
    });
  }

  it("stops the context with DSTREAM_RECEIVER_FAILED after receiverMaxRestarts restarts in a row", async () => {
    const r = new FlakyReceiver(Infinity);
    const { ssc, clock, errors } = setup(r, 2);
    await ssc.start();
    await clock.advance(2000);
    expect([r.starts, ssc.getState()]).toEqual([2, "active"]);
    await clock.advance(4000);
    expect(r.starts).toBe(3);
    const err = await ssc.awaitTermination().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReceiverError);
    expect(err).toMatchObject({ code: ErrorCodes.RECEIVER_FAILED, message: expect.stringMatching(/flaky \(stream 0\).*onStart failed 3 times.*receiverMaxRestarts = 2.*start 3/) });
    expect((err as Error).cause).toMatchObject({ message: "no route to host (start 3)" });
    expect(ssc.getState()).toBe("stopped");
    expect(errors).toHaveLength(3);
    expect(r.isStopped()).toBe(true);
    await clock.advance(60_000);
    expect(r.starts).toBe(3);
  });

  it("with receiverMaxRestarts 0, start() rejects and the context is stopped", async () => {
    const r = new FlakyReceiver(Infinity);
    const { ssc } = setup(r, 0);
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.RECEIVER_FAILED });
    expect(ssc.getState()).toBe("stopped");
    expect(StreamingContext.getActive()).toBeUndefined();
  });

  it("refuses a bad receiverMaxRestarts", () => {
    for (const bad of [-1, 1.5, Number.NaN, "3"]) {
      expect(() => new StreamingContext({ batchDuration: 1000, receiverMaxRestarts: bad as number })).toThrow(RangeError);
    }
  });
});
