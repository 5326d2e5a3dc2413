import { describe, expect, it } from "vitest";
import { ErrorCodes, JobError, StreamingError } from "../../errors.js";
import { RDD } from "../rdd/rdd.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { sortBatches } from "../test-support/compare.js";
import { GapDStream } from "../test-support/gap-stream.js";
import { runBinaryOperation, runOperation, runOperationWithTimes } from "../test-support/operator-table.js";

// Tables ported from Spark's BasicOperationsSuite.
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const input = [range(1, 4), range(101, 104), range(201, 204)];

/** Runs `operation` and returns the error the run failed with. */
async function failure(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => expect.unreachable("the run should have failed"),
    (e: unknown) => e,
  );
}

/** Checks that a batch failed with a JobError caused by a missing parent RDD at `time`. */
function expectMissingRdd(err: unknown, time: number): void {
  expect(err).toBeInstanceOf(JobError);
  expect(StreamingError.is(err, ErrorCodes.JOB_FAILED)).toBe(true);
  expect((err as JobError).batchTime).toBe(time);
  expect(StreamingError.is((err as JobError).cause, ErrorCodes.GRAPH_MISSING_RDD)).toBe(true);
}

describe("union", () => {
  it("DStream.union (Spark: union)", async () => {
    expect(await runOperation(input, (s) => s.union(s.map((x) => x + 4)))).toEqual([range(1, 8), range(101, 108), range(201, 208)]);
  });

  it("StreamingContext.union over 3 streams", async () => {
    expect(await runOperation(input, (s) => s.ssc.union(s, s.map((x) => x + 4), s.map((x) => x + 8)))).toEqual([range(1, 12), range(101, 112), range(201, 212)]);
  });

  it("an empty batch of one parent is fine", async () => {
    expect(await runBinaryOperation([[1], [], [3]], [[], [2], []], (a, b) => a.union(b))).toEqual([[1], [2], [3]]);
  });

  it("a parent with no RDD for a time fails the batch (Spark: union with input stream return None)", async () => {
    const seen: number[][] = [];
    const err = await failure(runOperation([...input, range(301, 304)], (s) => {
      const out = s.union(new GapDStream(s.map((x) => x + 4), new Set([4000])));
      out.foreachRDD((rdd) => void seen.push(rdd.collect()));
      return out;
    }));
    expectMissingRdd(err, 4000);
    expect(seen).toEqual([range(1, 8), range(101, 108), range(201, 208)]);
  });

  it("streams with different slides cannot be united (DSTREAM_GRAPH_INVALID at construction)", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    expect(() => s.union(s.window(2000, 2000))).toThrow(expect.objectContaining({ code: ErrorCodes.GRAPH_INVALID }));
    expect(() => ssc.union(s, s.window(2000, 2000))).toThrow(expect.objectContaining({ code: ErrorCodes.GRAPH_INVALID }));
  });

  it("streams of different contexts cannot be united", () => {
    const a = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }).queueStream<number>([]);
    const b = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }).queueStream<number>([]);
    expect(() => a.union(b)).toThrow(expect.objectContaining({ code: ErrorCodes.GRAPH_INVALID }));
  });

  it("ssc.union() with no stream is a TypeError", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ssc.union()).toThrow(TypeError);
  });
});

describe("transform", () => {
  it("transform (Spark: RDD.map in transform)", async () => {
    expect(await runOperation(input, (s) => s.transform((rdd) => rdd.map(String)))).toEqual(input.map((b) => b.map(String)));
  });

  it("transform passes the batch time", async () => {
    const out = await runOperationWithTimes([[1], [2]], (s) => s.transform((rdd, t) => rdd.map((x) => [x, t])));
    expect(out).toEqual([
      [1000, [[1, 1000]]],
      [2000, [[2, 2000]]],
    ]);
  });

  it("transform returning something other than an RDD fails the batch (Spark: transform with NULL)", async () => {
    const err = await failure(runOperation([range(1, 4)], (s) => s.transform(() => null as unknown as RDD<number>)));
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).cause).toBeInstanceOf(TypeError);
  });

  it("transform over a parent with no RDD fails the batch (Spark: transform with input stream return None)", async () => {
    const err = await failure(runOperation([range(1, 4), range(5, 8), range(9, 12)], (s) => new GapDStream(s, new Set([3000])).transform((rdd) => rdd.map(String))));
    expectMissingRdd(err, 3000);
  });

  it("transformWith (Spark: RDD.join in transform)", async () => {
    const out = await runBinaryOperation(
      [["a", "b"], ["a", ""], [""], []],
      [["a", "b"], ["b", ""], [], [""]],
      (s1, s2) => s1.map((x): [string, number] => [x, 1]).transformWith(s2.map((x): [string, string] => [x, "x"]), (r1, r2) => r1.join(r2)),
    );
    expect(sortBatches(out)).toEqual(sortBatches([[["a", [1, "x"]], ["b", [1, "x"]]], [["", [1, "x"]]], [], []]));
  });

  it("transformWith over a parent with no RDD fails the batch", async () => {
    const err = await failure(
      runBinaryOperation([["a", "b"], ["a", ""], [""], ["z"]], [["a", "b"], ["b", ""], [], ["z"]], (s1, s2) =>
        s1.transformWith(new GapDStream(s2, new Set([4000])), (r1, r2) => r1.union(r2)),
      ),
    );
    expectMissingRdd(err, 4000);
  });

  it("StreamingContext.transform over 3 streams", async () => {
    const out = await runOperation(input, (s) => s.ssc.transform([s, s.map((x) => x + 4), s.map((x) => x + 8)], (rdds) => RDD.union(rdds as RDD<number>[])));
    expect(out).toEqual([range(1, 12), range(101, 112), range(201, 212)]);
  });

  it("StreamingContext.transform over a parent with no RDD fails the batch", async () => {
    const err = await failure(
      runOperation([...input, range(301, 304)], (s) =>
        s.ssc.transform([s, new GapDStream(s.map((x) => x + 4), new Set([4000])), s.map((x) => x + 8)], (rdds) => RDD.union(rdds as RDD<number>[])),
      ),
    );
    expectMissingRdd(err, 4000);
  });

  it("non-function arguments are TypeErrors", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    expect(() => s.transform(undefined as never)).toThrow(TypeError);
    expect(() => s.transformWith(s, "f" as never)).toThrow(TypeError);
    expect(() => ssc.transform([s], 1 as never)).toThrow(TypeError);
    expect(() => ssc.transform([], (r) => r[0] as RDD<number>)).toThrow(TypeError);
  });
});
