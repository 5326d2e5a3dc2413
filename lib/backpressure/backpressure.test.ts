import { afterEach, describe, expect, it } from "vitest";
import type { BatchInfo } from "../listener.js";
import { Receiver } from "../receiver/receiver.js";
import { StreamingContext } from "../streaming-context.js";
import { WorkClock } from "../test-support/work-clock.js";

/** Stores `perSecond` records a second on the context's clock, in ticks of 100 ms: a source faster than the job. */
class Firehose extends Receiver<number> {
  private timer: { cancel(): void } | undefined;
  private next = 0;

  constructor(
    private readonly clock: WorkClock,
    private readonly perSecond: number,
    maxRate?: number,
  ) {
    super(maxRate === undefined ? { name: "firehose" } : { name: "firehose", maxRate });
  }

  onStart(): void {
    const tick = (at: number): void => {
      this.timer = this.clock.schedule(at, 0, () => {
        for (let i = 0; i < this.perSecond / 10; i++) this.store(this.next++);
        // Re-armed on the grid, not from now: ticks missed while the job worked still run.
        tick(at + 100);
      });
    };
    tick(this.clock.now() + 100);
  }

  onStop(): void {
    this.timer?.cancel();
  }
}

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/**
 * A job that needs 0.5 ms of clock time per record (2,000 records/s) fed 5,000 records/s, run
 * for `advances` steps of one second. Returns what listeners saw.
 */
async function run(options: { backpressure: boolean | { initialRate?: number; minRate?: number }; advances: number; maxRate?: number }) {
  const clock = new WorkClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock, backpressure: options.backpressure });
  const completed: BatchInfo[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo) });
  const receiver = new Firehose(clock, 5000, options.maxRate);
  ssc.receiverStream(receiver).foreachRDD((rdd) => clock.work(rdd.count() * 0.5));
  await ssc.start();
  // Each advance runs every batch due by its target; without backpressure a slow job's backlog
  // makes every advance run more batches than the one before, so the control run advances less.
  for (let i = 0; i < options.advances; i++) await clock.advance(1000);
  return { completed, limit: ssc.backpressure?.limitOf(receiver.streamId) };
}

describe("backpressure (Spark's PID rate estimator)", () => {
  it("a job slower than its input converges to its processing rate, and the scheduling delay stays bounded", async () => {
    const { completed, limit } = await run({ backpressure: true, advances: 60 });
    const table = completed.map((b) => `${b.batchTime}: ${b.numRecords} rec, sched ${Math.round(b.schedulingDelay ?? 0)} ms, proc ${Math.round(b.processingDelay ?? 0)} ms`);
    const late = completed.slice(-20);
    const maxDelay = Math.max(...late.map((b) => b.schedulingDelay ?? Infinity));
    // The bound: after convergence a batch waits less than one batch interval.
    expect(maxDelay, table.join("\n")).toBeLessThan(1000);
    // The estimate settles near what the job can process (2,000 records/s).
    expect(limit?.rate).toBeGreaterThan(1500);
    expect(limit?.rate).toBeLessThanOrEqual(2100);
    for (const b of late) expect(b.numRecords, table.join("\n")).toBeLessThanOrEqual(2100);
    expect(completed.length).toBeGreaterThanOrEqual(40);
  });

  it("without backpressure the same job falls further behind every batch (the bound above is not free)", async () => {
    const { completed } = await run({ backpressure: false, advances: 5 });
    const delays = completed.map((b) => b.schedulingDelay ?? 0);
    expect(completed.length).toBeGreaterThan(20);
    // Every batch waits 1.5 s longer than the one before it (5,000 records at 2,000/s, 1 s apart).
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeCloseTo((delays[i - 1] as number) + 1500, 6);
    expect(delays.at(-1)).toBeGreaterThan(20_000);
  });

  it("never sets a rate above maxRate, and starts at min(initialRate, maxRate)", async () => {
    const { completed, limit } = await run({ backpressure: { initialRate: 300 }, maxRate: 1200, advances: 30 });
    expect(limit?.maxRate).toBe(1200);
    expect(limit?.rate).toBeLessThanOrEqual(1200);
    // The first batch took what the initial rate allowed: 300 records/s (and one second's tokens at start).
    expect(completed[0]?.numRecords).toBeLessThanOrEqual(600);
    for (const b of completed) expect(b.numRecords).toBeLessThanOrEqual(1200 * 2);
    for (const b of completed.slice(-10)) expect(b.numRecords).toBeLessThanOrEqual(1200);
  });

  it("checks its options", () => {
    expect(() => new StreamingContext({ batchDuration: 1000, backpressure: { minRate: 0 } })).toThrow(/minRate must be a positive number/);
    expect(() => new StreamingContext({ batchDuration: 1000, backpressure: { initialRate: Number.NaN } })).toThrow(RangeError);
    expect(() => new StreamingContext({ batchDuration: 1000, backpressure: "yes" as never })).toThrow(TypeError);
  });
});
