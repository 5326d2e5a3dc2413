/**
 * Spark's StreamingContextSuite "stop gracefully" and "stop slow receiver gracefully", on a
 * ManualClock: the receivers' threads become timers on the context's clock, and the test moves
 * the clock on while the graceful stop is under way instead of sleeping.
 */
import { describe, expect, it } from "vitest";
import { ManualClock, type TimerHandle } from "./clock.js";
import { Receiver } from "./receiver/receiver.js";
import { StreamingContext } from "./streaming-context.js";

/** Spark's TestReceiver: stores counter values as fast as it can (here: every 10 ms) until stopped. */
class CountingReceiver extends Receiver<number> {
  counter = 1;
  private stopped: (() => void) | undefined;
  constructor(private readonly clock: ManualClock) {
    super({ name: "TestReceiver" });
  }
  onStart(): void {
    const tick = (): void => {
      if (this.isStopped()) {
        this.stopped?.();
        return;
      }
      this.store(this.counter++);
      this.clock.schedule(this.clock.now() + 10, 5, tick);
    };
    this.clock.schedule(this.clock.now() + 10, 5, tick);
  }
  /** Joins the receiving "thread": it notices isStopped() at its next tick. */
  onStop(): Promise<void> {
    return new Promise((resolve) => (this.stopped = resolve));
  }
}

/** Spark's SlowTestReceiver: one record per second up to `total`; onStop waits until all are stored. */
class SlowReceiver extends Receiver<number> {
  storedAll = false;
  lost = 0;
  private readonly timers: TimerHandle[] = [];
  private allStored: () => void = () => undefined;
  private readonly done = new Promise<void>((resolve) => (this.allStored = resolve));
  constructor(
    private readonly clock: ManualClock,
    private readonly total: number,
    private readonly useStoreMany: boolean,
  ) {
    super({ name: "SlowTestReceiver" });
  }
  onStart(): void {
    for (let i = 1; i <= this.total; i++) {
      this.timers.push(
        this.clock.schedule(this.clock.now() + i * 1000, 5, async () => {
          try {
            if (this.useStoreMany) await this.storeMany([i], { offset: i });
            else this.store(i);
          } catch {
            this.lost++; // refused: the record never reaches a batch
          }
          if (i === this.total) {
            this.storedAll = true;
            this.allStored();
          }
        }),
      );
    }
  }
  onStop(): Promise<void> {
    return this.done;
  }
}

/** Moves the clock on in steps until `p` settles (a graceful stop waiting on the receivers). */
async function advanceUntil(clock: ManualClock, p: Promise<unknown>, step: number, limit: number): Promise<void> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let moved = 0; !settled; moved += step) {
    if (moved > limit) throw new Error(`still not settled after moving the clock ${limit} ms`);
    await clock.advance(step);
    await new Promise((r) => setImmediate(r));
  }
  await p;
}

/** Spark's test job: 100 ms batches, `input.count()` added up into a running count. */
async function countingJob(clock: ManualClock, receiver: Receiver<number>): Promise<{ ssc: StreamingContext; runningCount: () => number }> {
  const ssc = new StreamingContext({ batchDuration: 100, clock });
  let runningCount = 0;
  ssc
    .receiverStream(receiver)
    .count()
    .foreachRDD((rdd) => void (runningCount += rdd.first() ?? 0));
  await ssc.start();
  return { ssc, runningCount: () => runningCount };
}

describe("graceful stop with receivers (Spark's StreamingContextSuite)", () => {
  it("stop gracefully: every record the receiver stored is processed (4 rounds)", async () => {
    for (let round = 0; round < 4; round++) {
      const clock = new ManualClock();
      const receiver = new CountingReceiver(clock);
      const { ssc, runningCount } = await countingJob(clock, receiver);
      await clock.advance(250 + round * 130);
      expect(runningCount()).toBeGreaterThan(0);
      await advanceUntil(clock, ssc.stop({ stopGracefully: true }), 10, 10_000);
      expect(ssc.getState()).toBe("stopped");
      expect(receiver.counter).toBe(runningCount() + 1);
    }
  });

  for (const useStoreMany of [false, true]) {
    it(`stop slow receiver gracefully: all 15 records are counted (${useStoreMany ? "storeMany" : "store"} while onStop runs)`, async () => {
      const clock = new ManualClock();
      const receiver = new SlowReceiver(clock, 15, useStoreMany);
      const { ssc, runningCount } = await countingJob(clock, receiver);
      await clock.advance(500); // Spark: awaitTerminationOrTimeout(500)
      const stopping = ssc.stop({ stopGracefully: true });
      await advanceUntil(clock, stopping, 100, 20_000);
      expect(receiver.storedAll).toBe(true);
      expect(receiver.lost).toBe(0);
      expect(runningCount()).toBe(15);
      expect(ssc.getState()).toBe("stopped");
      expect(receiver.isStopped()).toBe(true);
      // Once onStop has returned, stores are refused again.
      expect(() => receiver.store(16)).toThrow(expect.objectContaining({ code: "DSTREAM_RECEIVER_STOPPED" }));
    });
  }
});
