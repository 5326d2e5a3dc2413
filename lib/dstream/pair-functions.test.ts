import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { sortBatches, sortGroups } from "../test-support/compare.js";
import { runBinaryOperation, runOperation } from "../test-support/operator-table.js";
import type { DStream } from "./internal.js";

// Tables ported from Spark's BasicOperationsSuite; Spark compares these batches as sets.
const words = [["a", "a", "b"], ["", ""], []];
const ones = (s: DStream<string>): DStream<[string, number]> => s.map((x): [string, number] => [x, 1]);
const xs = (s: DStream<string>): DStream<[string, string]> => s.map((x): [string, string] => [x, "x"]);
const left = [["a", "b"], ["a", ""], [""], []];
const right = [["a", "b"], ["b", ""], [], [""]];

describe("pair operators (Spark BasicOperationsSuite)", () => {
  it("groupByKey", async () => {
    const out = await runOperation(words, (s) => ones(s).groupByKey());
    expect(sortGroups(out)).toEqual(sortGroups([[["a", [1, 1]], ["b", [1]]], [["", [1, 1]]], []]));
  });

  it("groupByKey keeps values in arrival order and keys in first-appearance order", async () => {
    const out = await runOperation([[["k", 3], ["j", 1], ["k", 1], ["k", 2]]], (s) => s.map((kv) => kv as [string, number]).groupByKey());
    expect(out).toEqual([[["k", [3, 1, 2]], ["j", [1]]]]);
  });

  it("reduceByKey", async () => {
    const out = await runOperation(words, (s) => ones(s).reduceByKey((a, b) => a + b));
    expect(sortBatches(out)).toEqual(sortBatches([[["a", 2], ["b", 1]], [["", 2]], []]));
  });

  it("reduceByKey with several partitions gives the same answer", async () => {
    const out = await runOperation(words, (s) => ones(s).reduceByKey((a, b) => a + b, 3));
    expect(sortBatches(out)).toEqual(sortBatches([[["a", 2], ["b", 1]], [["", 2]], []]));
  });

  it("reduceByKey compares keys by value (array keys)", async () => {
    const out = await runOperation([[[["x", 1], 1], [["x", 1], 2], [["y", 1], 5]]], (s) => s.map((kv) => kv as [[string, number], number]).reduceByKey((a, b) => a + b));
    expect(sortBatches(out)).toEqual([[[["x", 1], 3], [["y", 1], 5]]]);
  });

  it("combineByKey (average per key)", async () => {
    const out = await runOperation([[["a", 1], ["b", 4], ["a", 3]], []], (s) =>
      s
        .map((kv) => kv as [string, number])
        .combineByKey(
          (v): [number, number] => [v, 1],
          (c, v): [number, number] => [c[0] + v, c[1] + 1],
          (c1, c2): [number, number] => [c1[0] + c2[0], c1[1] + c2[1]],
        )
        .mapValues(([sum, n]) => sum / n),
    );
    expect(sortBatches(out)).toEqual([[["a", 2], ["b", 4]], []]);
  });

  it("mapValues", async () => {
    const out = await runOperation(words, (s) =>
      ones(s)
        .reduceByKey((a, b) => a + b)
        .mapValues((x) => x + 10),
    );
    expect(sortBatches(out)).toEqual(sortBatches([[["a", 12], ["b", 11]], [["", 12]], []]));
  });

  it("flatMapValues", async () => {
    const out = await runOperation(words, (s) =>
      ones(s)
        .reduceByKey((a, b) => a + b)
        .flatMapValues((x) => [x, x + 10]),
    );
    expect(sortBatches(out)).toEqual(sortBatches([[["a", 2], ["a", 12], ["b", 1], ["b", 11]], [["", 2], ["", 12]], []]));
  });

  it("join", async () => {
    const out = await runBinaryOperation(left, right, (s1, s2) => ones(s1).join(xs(s2)));
    expect(sortBatches(out)).toEqual(sortBatches([[["a", [1, "x"]], ["b", [1, "x"]]], [["", [1, "x"]]], [], []]));
  });

  it("join emits every pair of values of a key", async () => {
    const out = await runBinaryOperation([[["k", 1], ["k", 2]]], [[["k", "a"], ["k", "b"]]], (a, b) => a.map((kv) => kv as [string, number]).join(b.map((kv) => kv as [string, string])));
    expect(sortBatches(out)).toEqual([
      [
        ["k", [1, "a"]],
        ["k", [1, "b"]],
        ["k", [2, "a"]],
        ["k", [2, "b"]],
      ],
    ]);
  });

  it("leftOuterJoin (None is undefined)", async () => {
    const out = await runBinaryOperation(left, right, (s1, s2) => ones(s1).leftOuterJoin(xs(s2)));
    expect(sortBatches(out)).toEqual(sortBatches([[["a", [1, "x"]], ["b", [1, "x"]]], [["", [1, "x"]], ["a", [1, undefined]]], [["", [1, undefined]]], []]));
  });

  it("rightOuterJoin", async () => {
    const out = await runBinaryOperation(left, right, (s1, s2) => ones(s1).rightOuterJoin(xs(s2)));
    expect(sortBatches(out)).toEqual(sortBatches([[["a", [1, "x"]], ["b", [1, "x"]]], [["", [1, "x"]], ["b", [undefined, "x"]]], [], [["", [undefined, "x"]]]]));
  });

  it("fullOuterJoin", async () => {
    const out = await runBinaryOperation(left, right, (s1, s2) => ones(s1).fullOuterJoin(xs(s2)));
    expect(sortBatches(out)).toEqual(
      sortBatches([
        [["a", [1, "x"]], ["b", [1, "x"]]],
        [["", [1, "x"]], ["a", [1, undefined]], ["b", [undefined, "x"]]],
        [["", [1, undefined]]],
        [["", [undefined, "x"]]],
      ]),
    );
  });

  it("cogroup", async () => {
    const out = await runBinaryOperation([["a", "a", "b"], ["a", ""], [""], []], [["a", "a", "b"], ["b", ""], [], []], (s1, s2) => ones(s1).cogroup(xs(s2)));
    expect(sortBatches(out)).toEqual(
      sortBatches([
        [["a", [[1, 1], ["x", "x"]]], ["b", [[1], ["x"]]]],
        [["a", [[1], []]], ["b", [[], ["x"]]], ["", [[1], ["x"]]]],
        [["", [[1], []]]],
        [],
      ]),
    );
  });

  it("joins need both streams on the same slide", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const a = ssc.queueStream<[string, number]>([]);
    expect(() => a.join(a.window(2000, 2000))).toThrow(expect.objectContaining({ code: "DSTREAM_GRAPH_INVALID" }));
  });

  it("non-function arguments are TypeErrors", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<[string, number]>([]);
    const notFn = 42 as never;
    expect(() => s.map(notFn)).toThrow(TypeError);
    expect(() => s.flatMap(notFn)).toThrow(TypeError);
    expect(() => s.filter(notFn)).toThrow(TypeError);
    expect(() => s.mapPartitions(notFn)).toThrow(TypeError);
    expect(() => s.reduce(notFn)).toThrow(TypeError);
    expect(() => s.reduceByKey(notFn)).toThrow(TypeError);
    expect(() => s.combineByKey(notFn, (c: number) => c, (a: number) => a)).toThrow(TypeError);
    expect(() => s.combineByKey((v) => v, notFn, (a: number) => a)).toThrow(TypeError);
    expect(() => s.combineByKey((v) => v, (c: number) => c, notFn)).toThrow(TypeError);
    expect(() => s.mapValues(notFn)).toThrow(TypeError);
    expect(() => s.flatMapValues(notFn)).toThrow(TypeError);
    expect(() => s.reduceByKeyAndWindow(notFn, 1000, 1000)).toThrow(TypeError);
    expect(() => s.reduceByWindow(notFn, 1000, 1000)).toThrow(TypeError);
    expect(() => s.foreachRDD(notFn)).toThrow(TypeError);
  });
});
