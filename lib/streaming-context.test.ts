import { describe, expect, it } from "vitest";
import { ErrorCodes, JobError, StreamingError } from "../errors.js";
import { ManualClock } from "./clock.js";
import { StreamingContext } from "./streaming-context.js";
import { runOperationWithTimes } from "./test-support/operator-table.js";

describe("StreamingContext life cycle", () => {
  it("runs batches on the grid from zeroTime + batchDuration", async () => {
    const out = await runOperationWithTimes([[1, 2], [3], []], (s) => s.map((x) => x * 10));
    expect(out).toEqual([
      [1000, [10, 20]],
      [2000, [30]],
      [3000, []],
    ]);
  });

  it("puts the first batch at the next multiple of the batch duration after now", async () => {
    const clock = new ManualClock(1500);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_r, t) => void times.push(t));
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(times).toEqual([2000, 3000]);
  });

  it("moves through initialized, active, stopped and refuses a restart", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    ssc.queueStream<number>([]).print();
    expect(ssc.getState()).toBe("initialized");
    await ssc.start();
    expect(ssc.getState()).toBe("active");
    expect(StreamingContext.getActive()).toBe(ssc);
    await ssc.stop();
    expect(ssc.getState()).toBe("stopped");
    expect(StreamingContext.getActive()).toBeUndefined();
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.CONTEXT_STATE });
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
  });

  it("fails start() without an output operation", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    ssc.queueStream<number>([]).map((x) => x);
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.GRAPH_INVALID, message: expect.stringMatching(/No output operations/) });
  });

  it("refuses operators and outputs added after start", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    s.print();
    await ssc.start();
    expect(() => s.map((x) => x)).toThrow(expect.objectContaining({ code: ErrorCodes.CONTEXT_STATE }));
    expect(() => s.foreachRDD(() => undefined)).toThrow(expect.objectContaining({ code: ErrorCodes.CONTEXT_STATE }));
    await ssc.stop();
  });

  it("allows one active context per process", async () => {
    const a = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    a.queueStream<number>([]).print();
    const b = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    b.queueStream<number>([]).print();
    await a.start();
    await expect(b.start()).rejects.toMatchObject({ code: ErrorCodes.CONTEXT_ACTIVE });
    await a.stop();
    await b.start();
    await b.stop();
  });

  it("rejects non-positive durations with RangeError", () => {
    expect(() => new StreamingContext({ batchDuration: 0 })).toThrow(RangeError);
    expect(() => new StreamingContext({ batchDuration: -5 })).toThrow(RangeError);
    expect(() => new StreamingContext({ batchDuration: 1.5 })).toThrow(RangeError);
  });

  it("stops with a JobError naming the batch and output operation when a function throws", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const boom = new Error("boom");
    ssc.queueStream([[1], [2]]).print();
    ssc.queueStream([[1], [2]]).map((x) => {
      if (x === 2) throw boom;
      return x;
    }).foreachRDD((rdd) => void rdd.collect());
    await ssc.start();
    const advancing = clock.advance(3000);
    await expect(advancing).rejects.toBeInstanceOf(JobError);
    const err = await ssc.awaitTermination().catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.JOB_FAILED)).toBe(true);
    expect(err).toMatchObject({ batchTime: 2000, outputOperation: 1, cause: boom });
    expect((err as Error).message).toMatch(/Batch 2000 ms failed in output operation 1/);
    expect(ssc.getState()).toBe("stopped");
  });

  it("runs async foreachRDD functions one batch after another", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const log: string[] = [];
    ssc.queueStream([[1], [2]]).foreachRDD(async (rdd, t) => {
      log.push(`start ${t}`);
      await new Promise((r) => setImmediate(r));
      log.push(`end ${t} ${rdd.collect().join()}`);
    });
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(log).toEqual(["start 1000", "end 1000 1", "start 2000", "end 2000 2"]);
  });

  it("awaitTerminationOrTimeout reports whether the context stopped", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    ssc.queueStream<number>([]).print();
    await ssc.start();
    expect(await ssc.awaitTerminationOrTimeout(5)).toBe(false);
    await ssc.stop();
    expect(await ssc.awaitTerminationOrTimeout(5)).toBe(true);
  });
});
