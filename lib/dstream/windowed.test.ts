import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { sortBatches, sortGroups } from "../test-support/compare.js";
import { runOperation, runOperationWithTimes } from "../test-support/operator-table.js";
import { bigGroupByOutput, bigInput, bigReduceOutput, largerSlideInput, largerSlideReduceOutput, type KV } from "../test-support/window-tables.js";

const digits = [[0], [1], [2], [3], [4], [5]];
const plus = (a: number, b: number): number => a + b;

describe("window (Spark WindowOperationsSuite, batch 1 s)", () => {
  it("basic window: 2 s, slide 1 s", async () => {
    expect(await runOperation(digits, (s) => s.window(2000, 1000))).toEqual([[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  });

  it("the slide defaults to the parent's", async () => {
    expect(await runOperation(digits, (s) => s.window(2000))).toEqual([[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  });

  it("tumbling window: 2 s, slide 2 s, emitted only at slide multiples", async () => {
    const out = await runOperationWithTimes(digits, (s) => s.window(2000, 2000), { numBatches: 6 });
    expect(out).toEqual([
      [2000, [0, 1]],
      [4000, [2, 3]],
      [6000, [4, 5]],
    ]);
  });

  it("larger window: 4 s, slide 2 s, sliding past the input", async () => {
    const out = await runOperationWithTimes(digits, (s) => s.window(4000, 2000), { numBatches: 8 });
    expect(out).toEqual([
      [2000, [0, 1]],
      [4000, [0, 1, 2, 3]],
      [6000, [2, 3, 4, 5]],
      [8000, [4, 5]],
    ]);
  });

  it("non-overlapping window: 2 s, slide 3 s (batches between windows are skipped)", async () => {
    const out = await runOperationWithTimes(digits, (s) => s.window(2000, 3000), { numBatches: 6 });
    expect(out).toEqual([
      [3000, [1, 2]],
      [6000, [4, 5]],
    ]);
  });

  it("window 3 s, slide 1 s: partial first windows, then slides over empty batches", async () => {
    expect(await runOperation(digits, (s) => s.window(3000, 1000), { numBatches: 9 })).toEqual([[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5], [5], []]);
  });

  it("window 3 s, slide 2 s", async () => {
    const out = await runOperationWithTimes(digits, (s) => s.window(3000, 2000), { numBatches: 8 });
    expect(out).toEqual([
      [2000, [0, 1]],
      [4000, [1, 2, 3]],
      [6000, [3, 4, 5]],
      [8000, [5]],
    ]);
  });

  it("window 2 s over batches of 2 s is the identity", async () => {
    const out = await runOperationWithTimes([[0], [1], [2]], (s) => s.window(2000), { batchDuration: 2000 });
    expect(out).toEqual([
      [2000, [0]],
      [4000, [1]],
      [6000, [2]],
    ]);
  });

  it("window 4 s, slide 2 s over batches of 2 s", async () => {
    expect(await runOperation([[0], [1], [2]], (s) => s.window(4000, 2000), { batchDuration: 2000, numBatches: 4 })).toEqual([[0], [0, 1], [1, 2], [2]]);
  });

  it("a window of a window (Spark's cleanup test graph)", async () => {
    const out = await runOperationWithTimes(digits, (s) => s.window(2000, 1000).window(4000, 2000), { numBatches: 8 });
    expect(out).toEqual([
      [2000, [0, 0, 1]],
      [4000, [0, 0, 1, 1, 2, 2, 3]],
      [6000, [1, 2, 2, 3, 3, 4, 4, 5]],
      [8000, [3, 4, 4, 5, 5]],
    ]);
  });

  it("window(1.5 s, 0.5 s).count() over batches of 0.5 s (PySpark test_window)", async () => {
    const input = [0, 1, 2, 3, 4].map((n) => Array.from({ length: n + 1 }, (_, i) => i));
    expect(await runOperation(input, (s) => s.window(1500, 500).count(), { batchDuration: 500, numBatches: 7 })).toEqual([[1], [3], [6], [9], [12], [9], [5]]);
  });
});

describe("reduceByKeyAndWindow without an inverse (naive form)", () => {
  const rbkw = (input: KV[][], expected: KV[][], window = 2000, slide = 1000) => async () => {
    const numBatches = expected.length * (slide / 1000);
    const out = await runOperation(input, (s) => s.reduceByKeyAndWindow(plus, window, slide), { numBatches });
    expect(sortBatches(out)).toEqual(sortBatches(expected));
  };

  it("basic reduction", rbkw([[["a", 1], ["a", 3]]], [[["a", 4]]]));
  it("key already in window and new value added into window", rbkw([[["a", 1]], [["a", 1]]], [[["a", 1]], [["a", 2]]]));
  it("new key added into window", rbkw([[["a", 1]], [["a", 1], ["b", 1]]], [[["a", 1]], [["a", 2], ["b", 1]]]));
  it("key removed from window", rbkw([[["a", 1]], [["a", 1]], [], []], [[["a", 1]], [["a", 2]], [["a", 1]], []]));
  it("larger slide time: 4 s, slide 2 s", rbkw(largerSlideInput, largerSlideReduceOutput, 4000, 2000));
  it("big test", rbkw(bigInput, bigReduceOutput));

  it("with several partitions gives the same answer", async () => {
    const out = await runOperation(bigInput, (s) => s.reduceByKeyAndWindow(plus, 2000, 1000, 3));
    expect(sortBatches(out)).toEqual(sortBatches(bigReduceOutput));
  });
});

describe("groupByKeyAndWindow and reduceByWindow", () => {
  it("groupByKeyAndWindow: big test (values compared as sets)", async () => {
    const out = await runOperation(bigInput, (s) => s.groupByKeyAndWindow(2000, 1000));
    expect(sortGroups(out)).toEqual(sortGroups(bigGroupByOutput));
  });

  it("groupByKeyAndWindow keeps values in time order", async () => {
    const out = await runOperation([[["k", 1]], [["k", 2], ["j", 0]], [["k", 3]]], (s) => s.map((kv) => kv as KV).groupByKeyAndWindow(3000), { numBatches: 4 });
    expect(out).toEqual([[["k", [1]]], [["k", [1, 2]], ["j", [0]]], [["k", [1, 2, 3]], ["j", [0]]], [["k", [2, 3]], ["j", [0]]]]);
  });

  it("reduceByWindow (no inverse): 3 s, slide 1 s", async () => {
    const input = [[1], [2], [3], [4], [5], [6]];
    expect(await runOperation(input, (s) => s.reduceByWindow(plus, 3000, 1000), { numBatches: 8 })).toEqual([[1], [3], [6], [9], [12], [15], [11], [6]]);
  });

  it("reduceByWindow (no inverse): 3 s, slide 2 s", async () => {
    const out = await runOperationWithTimes([[1, 10], [2], [3], [4], [5], [6]], (s) => s.reduceByWindow(plus, 3000, 2000), { numBatches: 8 });
    expect(out).toEqual([
      [2000, [13]],
      [4000, [9]],
      [6000, [15]],
      [8000, [6]],
    ]);
  });

  it("reduceByWindow emits nothing for a window without data", async () => {
    expect(await runOperation([[1], [], [], []], (s) => s.reduceByWindow(plus, 2000, 1000))).toEqual([[1], [1], [], []]);
  });
});

describe("window validation", () => {
  const stream = () => new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }).queueStream<[string, number]>([]);
  const invalid = expect.objectContaining({ code: ErrorCodes.GRAPH_INVALID });

  it("window or slide not a multiple of the parent's slide is DSTREAM_GRAPH_INVALID at construction", () => {
    const s = stream();
    expect(() => s.window(1500, 1000)).toThrow(invalid);
    expect(() => s.window(2000, 1500)).toThrow(invalid);
    expect(() => s.window(4000, 2000).window(6000, 3000)).toThrow(invalid);
    expect(() => s.window(4000, 2000).window(3000, 2000)).toThrow(invalid);
    expect(() => s.reduceByKeyAndWindow(plus, 2500, 1000)).toThrow(invalid);
    expect(() => s.reduceByKeyAndWindow(plus, 2000, 500)).toThrow(invalid);
    expect(() => s.groupByKeyAndWindow(1500)).toThrow(invalid);
    expect(() => s.reduceByWindow(([k, a], [, b]) => [k, a + b], 1500, 1000)).toThrow(invalid);
    expect(() => s.reduceByKeyAndWindow(plus, (a, b) => a - b, 2500, 1000)).toThrow(invalid);
    expect(() => s.countByWindow(1500, 1000)).toThrow(invalid);
    expect(() => s.countByValueAndWindow(2000, 1500)).toThrow(invalid);
  });

  it("non-positive or fractional durations are RangeErrors", () => {
    const s = stream();
    expect(() => s.window(0)).toThrow(RangeError);
    expect(() => s.window(-1000)).toThrow(RangeError);
    expect(() => s.window(2000, 0)).toThrow(RangeError);
    expect(() => s.window(2000, -1000)).toThrow(RangeError);
    expect(() => s.window(1000.5)).toThrow(RangeError);
    expect(() => s.window(Number.NaN)).toThrow(RangeError);
    expect(() => s.reduceByKeyAndWindow(plus, 0)).toThrow(RangeError);
    expect(() => s.reduceByKeyAndWindow(plus, 2000, -1000)).toThrow(RangeError);
    expect(() => s.groupByKeyAndWindow(-2000)).toThrow(RangeError);
    expect(() => s.reduceByWindow((a) => a, 0, 1000)).toThrow(RangeError);
    expect(() => s.reduceByWindow((a) => a, 2000, 0)).toThrow(RangeError);
    expect(() => s.countByWindow(0, 1000)).toThrow(RangeError);
    expect(() => s.countByValueAndWindow(2000, -1)).toThrow(RangeError);
    expect(() => s.reduceByKeyAndWindow(plus, (a, b) => a - b, 0)).toThrow(RangeError);
  });

  it("a rejected operator leaves the graph unchanged (operator ids stay stable)", () => {
    const s = stream();
    const slow = s.window(2000, 2000);
    const size = (): number => s.ssc.graph.fingerprint().operators.length;
    const before = size();
    const attempts = [
      () => s.window(1500),
      () => s.reduceByKeyAndWindow(plus, 1500, 1000),
      () => s.reduceByKeyAndWindow(plus, (a, b) => a - b, 1500, 1000),
      () => s.reduceByKeyAndWindow(plus, "inv" as never, 2000, 1000),
      () => s.groupByKeyAndWindow(2000, 1500),
      () => s.reduceByWindow((a) => a, 1500, 1000),
      () => s.reduceByWindow((a) => a, (a) => a, 1500, 1000),
      () => s.countByWindow(1500, 1000),
      () => s.countByValueAndWindow(1500, 1000),
      () => s.union(slow),
      () => s.ssc.union(s, slow),
      () => s.join(slow),
      () => s.ssc.transform([s, slow], (rdds) => rdds[0] as never),
    ];
    for (const attempt of attempts) expect(attempt).toThrow();
    expect(size()).toBe(before);
  });
});
