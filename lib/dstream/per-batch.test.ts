import { describe, expect, it } from "vitest";
import { RDD } from "../rdd/rdd.js";
import { sortBatches } from "../test-support/compare.js";
import { runOperation } from "../test-support/operator-table.js";

// Tables ported from Spark's BasicOperationsSuite (batch 1 s, ManualClock).
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const input = [range(1, 4), range(5, 8), range(9, 12)];
/** Spark's TestSuiteBase feeds each batch as 2 partitions; this reproduces that split. */
const twoPartitions = <T>(rdd: RDD<T>): RDD<T> => RDD.parallelize(rdd.collect(), 2);

describe("per-batch operators (Spark BasicOperationsSuite)", () => {
  it("map", async () => {
    expect(await runOperation(input, (s) => s.map((x) => String(x)))).toEqual(input.map((b) => b.map(String)));
  });

  it("flatMap", async () => {
    expect(await runOperation(input, (s) => s.flatMap((x) => [x, x * 2]))).toEqual(input.map((b) => b.flatMap((x) => [x, x * 2])));
  });

  it("flatMap over any iterable (generator, Set)", async () => {
    const out = await runOperation([["ab", ""], ["c"]], (s) =>
      s.flatMap(function* (w) {
        yield* w;
      }),
    );
    expect(out).toEqual([["a", "b"], ["c"]]);
    expect(await runOperation([[1, 2]], (s) => s.flatMap((x) => new Set([x, x])))).toEqual([[1, 2]]);
  });

  it("filter", async () => {
    expect(await runOperation(input, (s) => s.filter((x) => x % 2 === 0))).toEqual([[2, 4], [6, 8], [10, 12]]);
  });

  it("glom (2 input partitions)", async () => {
    expect(await runOperation(input, (s) => s.transform(twoPartitions).glom())).toEqual([
      [[1, 2], [3, 4]],
      [[5, 6], [7, 8]],
      [[9, 10], [11, 12]],
    ]);
  });

  it("glom keeps the queue stream's one partition per batch", async () => {
    expect(await runOperation([[1, 2], []], (s) => s.glom())).toEqual([[[1, 2]], [[]]]);
  });

  it("mapPartitions (sum per partition) with the partition index", async () => {
    const sum = (it: Iterable<number>): number[] => {
      let n = 0;
      for (const x of it) n += x;
      return [n];
    };
    expect(await runOperation(input, (s) => s.transform(twoPartitions).mapPartitions(sum))).toEqual([[3, 7], [11, 15], [19, 23]]);
    expect(await runOperation(input, (s) => s.transform(twoPartitions).mapPartitions((_it, i) => [i]))).toEqual([[0, 1], [0, 1], [0, 1]]);
  });

  it("repartition (more partitions): 5 partitions, same records", async () => {
    const big = [range(1, 100), range(101, 200), range(201, 300)];
    const out = await runOperation(big, (s) => s.transform(twoPartitions).repartition(5).glom());
    expect(out.map((b) => b.length)).toEqual([5, 5, 5]);
    expect(out.map((b) => b.flat().sort((x, y) => x - y))).toEqual(big);
  });

  it("repartition (fewer partitions): 2 partitions, same records", async () => {
    const big = [range(1, 100), range(101, 200), range(201, 300)];
    const out = await runOperation(big, (s) => s.transform((r) => RDD.parallelize(r.collect(), 5)).repartition(2).glom());
    expect(out.map((b) => b.length)).toEqual([2, 2, 2]);
    expect(out.map((b) => b.flat().sort((x, y) => x - y))).toEqual(big);
  });

  it("repartition rejects a non-positive or fractional count", async () => {
    await expect(runOperation([[1]], (s) => s.repartition(0))).rejects.toThrow(RangeError);
    await expect(runOperation([[1]], (s) => s.repartition(1.5))).rejects.toThrow(RangeError);
  });

  it("count: 0 for an empty batch", async () => {
    expect(await runOperation([[], range(1, 1), range(1, 2), range(1, 3), range(1, 4)], (s) => s.count())).toEqual([[0], [1], [2], [3], [4]]);
  });

  it("countByValue (compared as sets)", async () => {
    const out = await runOperation([[1], [1, 1, 1], [1, 2], [1, 1, 2, 2]], (s) => s.countByValue());
    expect(sortBatches(out)).toEqual(sortBatches([[[1, 1]], [[1, 3]], [[1, 1], [2, 1]], [[2, 2], [1, 2]]]));
  });

  it("countByValue compares values by value (arrays, objects)", async () => {
    const out = await runOperation([[["a", 1], ["a", 1], ["b", 2]]], (s) => s.countByValue());
    expect(sortBatches(out)).toEqual([[[["a", 1], 2], [["b", 2], 1]]]);
  });

  it("reduce: one record per batch, nothing for an empty batch", async () => {
    expect(await runOperation(input, (s) => s.reduce((a, b) => a + b))).toEqual([[10], [26], [42]]);
    expect(await runOperation([[1, 2], [], [3]], (s) => s.reduce((a, b) => a + b))).toEqual([[3], [], [3]]);
  });

  it("reduce folds left to right across partitions", async () => {
    const out = await runOperation([["a", "b", "c", "d"]], (s) => s.transform(twoPartitions).reduce((a, b) => a + b));
    expect(out).toEqual([["abcd"]]);
  });

  it("chains of narrow operators run each user function once per record", async () => {
    let calls = 0;
    const out = await runOperation([[1, 2, 3]], (s) =>
      s
        .map((x) => (calls++, x + 1))
        .filter((x) => x % 2 === 0)
        .map((x) => x * 10),
    );
    expect(out).toEqual([[20, 40]]);
    expect(calls).toBe(3);
  });

  it("a batch taken more than once by the graph is computed once", async () => {
    let calls = 0;
    const out = await runOperation([[1, 2]], (s) => {
      const m = s.map((x) => (calls++, x));
      return m.union(m.window(1000));
    });
    expect(out).toEqual([[1, 2, 1, 2]]);
    expect(calls).toBe(2);
  });
});
