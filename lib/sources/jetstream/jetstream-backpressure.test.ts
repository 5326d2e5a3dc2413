import { describe, expect, it } from "vitest";
import type { BatchInfo } from "../../listener.js";
import { StreamingContext } from "../../streaming-context.js";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";
import { NATS_URL, testStream } from "../../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../../test-support/services.js";
import { WorkClock } from "../../test-support/work-clock.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();

/** Input: 400 messages/s of clock time, 3 of 4 on partition 0. The job needs 4 ms a message (250/s). */
const INPUT_PER_SECOND = 400;
const WORK_MS_PER_RECORD = 4;
const MAX_RATE_PER_PARTITION = 300;

/**
 * A 2-partition jetStream job slower than its input, on a WorkClock: before each step of one
 * second the test publishes what arrived on the clock since the last step, so the input keeps
 * its rate however far the job's work pushed the clock.
 */
async function run(backpressure: boolean, steps: number) {
  const s = await testStream();
  cleanup(() => s.remove());
  const clock = new WorkClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock, backpressure });
  cleanup(() => ssc.stop().catch(() => undefined));
  const input = ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: 2, maxRatePerPartition: MAX_RATE_PER_PARTITION });
  const completed: BatchInfo[] = [];
  const ranges = new Map<number, number[]>();
  ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo) });
  input.foreachRDD((rdd, time) => {
    ranges.set(time, rdd.glom().collect().map((p) => p.length));
    clock.work(rdd.count() * WORK_MS_PER_RECORD);
  });
  await ssc.start();
  let published = 0;
  for (let i = 0; i < steps; i++) {
    const due = Math.floor(((clock.now() + 1000) * INPUT_PER_SECOND) / 1000);
    const sends: Promise<number>[] = [];
    for (; published < due; published++) sends.push(s.publish(published % 4 === 3 ? 1 : 0, `m${published}`));
    await Promise.all(sends);
    await clock.advance(1000);
  }
  const limit = ssc.backpressure?.limitOf((input as unknown as { streamId: number }).streamId);
  return { completed, ranges, limit };
}

describe.skipIf(!nats)("jetStream under backpressure", () => {
  it("ranges shrink to the PID's rate, shared by lag, never above maxRatePerPartition, and the scheduling delay stays bounded", { timeout: 240_000 }, async () => {
    const { completed, ranges, limit } = await run(true, 45);
    const table = completed.map((b) => `${b.batchTime}: ${JSON.stringify(ranges.get(b.batchTime))} = ${b.numRecords} rec, sched ${Math.round(b.schedulingDelay ?? 0)} ms, proc ${Math.round(b.processingDelay ?? 0)} ms`).join("\n");
    console.log(`jetStream backpressure: rate now ${limit?.rate?.toFixed(1)}/s\n${table}`);
    expect(limit?.maxRate).toBe(2 * MAX_RATE_PER_PARTITION);
    for (const counts of ranges.values()) for (const c of counts) expect(c, table).toBeLessThanOrEqual(MAX_RATE_PER_PARTITION);
    const late = completed.slice(-15);
    // The bound: after convergence a batch waits less than one batch interval.
    expect(Math.max(...late.map((b) => b.schedulingDelay ?? Infinity)), table).toBeLessThan(1000);
    // The estimate settles near what the job can process (250 records/s), and each batch takes what it allows.
    expect(limit?.rate).toBeGreaterThan(180);
    expect(limit?.rate).toBeLessThanOrEqual(275);
    for (const b of late) expect(b.numRecords, table).toBeLessThanOrEqual(280);
    // Shared by lag: partition 0 receives three times partition 1's messages, so it lags more and gets more.
    for (const b of late) {
      const [p0, p1] = ranges.get(b.batchTime) as number[];
      expect(p0, table).toBeGreaterThan(p1 as number);
    }
    expect(completed.length).toBeGreaterThanOrEqual(30);
  });

  it("without backpressure the same job falls further behind every batch", { timeout: 120_000 }, async () => {
    const { completed } = await run(false, 8);
    const delays = completed.map((b) => b.schedulingDelay ?? 0);
    // 400 records (up to 600 with the backlog, maxRatePerPartition) a second at 250/s: each batch waits longer than the one before.
    for (let i = 2; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] as number);
    expect(delays.at(-1)).toBeGreaterThan(3000);
  });
});
