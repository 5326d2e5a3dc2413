import { describe, expect, it } from "vitest";
import { RDD } from "./rdd.js";

const parts = <T>(rdd: RDD<T>) => rdd.partitionArrays();

describe("RDD factories", () => {
  it("fromPartitions takes the arrays as they are; empty has no partitions", () => {
    const p = [[1, 2], [], [3]];
    const rdd = RDD.fromPartitions(p);
    expect(rdd.numPartitions).toBe(3);
    expect(parts(rdd)).toEqual(p);
    expect(RDD.empty().numPartitions).toBe(0);
    expect(RDD.empty().collect()).toEqual([]);
  });

  it("parallelize slices contiguously as Spark does", () => {
    expect(parts(RDD.parallelize([1, 2, 3, 4, 5], 2))).toEqual([[1, 2], [3, 4, 5]]);
    expect(parts(RDD.parallelize([1, 2, 3], 1))).toEqual([[1, 2, 3]]);
    expect(parts(RDD.parallelize([1], 3))).toEqual([[], [], [1]]);
    expect(() => RDD.parallelize([1], 0)).toThrow(RangeError);
    expect(() => RDD.parallelize("abc" as unknown as string[])).toThrow(/expects an array; got the string "abc"/);
  });

  it("union concatenates partitions in order", () => {
    const a = RDD.parallelize([1, 2], 2);
    const b = RDD.parallelize([3]);
    expect(parts(RDD.union([a, b, RDD.empty<number>()]))).toEqual([[1], [2], [3]]);
    expect(parts(a.union(b))).toEqual([[1], [2], [3]]);
    expect(RDD.union<number>([]).numPartitions).toBe(0);
    expect(() => a.union([3] as unknown as RDD<number>)).toThrow(TypeError);
  });
});

describe("narrow transformations", () => {
  const rdd = RDD.parallelize(["a b", "", "c"], 2);

  it("map, flatMap (any iterable), filter, keyBy keep partitioning and order", () => {
    expect(parts(rdd.map((s) => s.length))).toEqual([[3], [0, 1]]);
    expect(parts(rdd.flatMap((s) => (s ? s.split(" ") : [])))).toEqual([["a", "b"], ["c"]]);
    expect(rdd.flatMap((s) => new Set(s)).collect()).toEqual(["a", " ", "b", "c"]);
    function* twice(s: string) {
      yield s;
      yield s;
    }
    expect(rdd.flatMap(twice).collect()).toEqual(["a b", "a b", "", "", "c", "c"]);
    expect(rdd.filter((s) => s.length > 0).collect()).toEqual(["a b", "c"]);
    expect(rdd.keyBy((s) => s.length).collect()).toEqual([[3, "a b"], [0, ""], [1, "c"]]);
  });

  it("mapPartitions gets an iterable and the index; glom gives arrays", () => {
    expect(parts(rdd.mapPartitions((it, i) => [[i, [...it].length]]))).toEqual([[[0, 1]], [[1, 2]]]);
    expect(rdd.glom().collect()).toEqual([["a b"], ["", "c"]]);
  });

  it("rejects non-functions with a message naming what was given", () => {
    expect(() => rdd.map(1 as never)).toThrow(/map\(f\) expects a function; got number 1/);
    expect(() => rdd.filter(undefined as never)).toThrow(TypeError);
    expect(() => rdd.flatMap("x" as never)).toThrow(TypeError);
    expect(() => rdd.mapPartitions(null as never)).toThrow(TypeError);
  });
});

describe("laziness, fusion and cache", () => {
  it("does not call a map function before an action, and once per record per action", () => {
    let calls = 0;
    const mapped = RDD.parallelize([1, 2, 3], 2).map((x) => (calls++, x * 2)).filter((x) => x > 2);
    expect(calls).toBe(0);
    expect(mapped.collect()).toEqual([4, 6]);
    expect(calls).toBe(3);
    expect(mapped.count()).toBe(2);
    expect(calls).toBe(6);
  });

  it("evaluates a cached chain once in total", () => {
    let calls = 0;
    const cached = RDD.parallelize([1, 2, 3], 2).map((x) => (calls++, x + 1)).cache();
    expect(calls).toBe(0);
    expect(cached.collect()).toEqual([2, 3, 4]);
    expect(cached.count()).toBe(3);
    expect(cached.map((x) => x * 10).collect()).toEqual([20, 30, 40]);
    expect(cached.take(1)).toEqual([2]);
    expect(calls).toBe(3);
  });

  it("runs a narrow chain record by record, with no intermediate array per operator", () => {
    const log: string[] = [];
    RDD.parallelize([1, 2])
      .map((x) => (log.push(`map ${x}`), x))
      .filter((x) => (log.push(`filter ${x}`), true))
      .flatMap((x) => (log.push(`flatMap ${x}`), [x]))
      .forEachRecord((x) => log.push(`sink ${x}`));
    expect(log).toEqual(["map 1", "filter 1", "flatMap 1", "sink 1", "map 2", "filter 2", "flatMap 2", "sink 2"]);
  });

  it("evaluates the map side of a shuffle once, even for several actions", () => {
    let calls = 0;
    const counts = RDD.parallelize(["a", "b", "a"]).map((w) => (calls++, [w, 1] as [string, number])).reduceByKey((a, b) => a + b);
    expect(calls).toBe(0);
    expect(counts.collect()).toEqual([["a", 2], ["b", 1]]);
    expect(counts.count()).toBe(2);
    expect(calls).toBe(3);
  });

  it("take stops computing once it has enough records", () => {
    let calls = 0;
    const rdd = RDD.parallelize([1, 2, 3, 4, 5, 6], 3).map((x) => (calls++, x));
    expect(rdd.take(3)).toEqual([1, 2, 3]);
    expect(calls).toBe(3);
    expect(rdd.take(0)).toEqual([]);
    expect(rdd.take(100)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rdd.take(-1)).toThrow(RangeError);
  });

  it("lets errors thrown by user functions through", () => {
    const rdd = RDD.parallelize([1, 2]).map((x) => {
      if (x === 2) throw new Error("boom");
      return x;
    });
    expect(() => rdd.take(5)).toThrow("boom");
    expect(() => rdd.collect()).toThrow("boom");
  });
});

describe("wide transformations", () => {
  it("distinct compares by value and keeps first appearance", () => {
    const rdd = RDD.parallelize<unknown>([3, [1, "a"], 1, "1", 3, [1, "a"], { x: 1, y: 2 }, { y: 2, x: 1 }], 3);
    expect(rdd.distinct(1).collect()).toEqual([3, [1, "a"], 1, "1", { x: 1, y: 2 }]);
    expect(rdd.distinct().numPartitions).toBe(3);
    expect(RDD.fromPartitions([[2, 1], [2, 3]]).distinct(1).collect()).toEqual([2, 1, 3]);
    const spread = rdd.distinct(4);
    expect(spread.numPartitions).toBe(4);
    expect(spread.collect()).toHaveLength(5);
    expect(parts(rdd.distinct(4))).toEqual(parts(spread));
  });

  it("sortBy is stable, ascending or descending, into contiguous ranges", () => {
    const rdd = RDD.parallelize(["bb", "a", "cc", "d", "eee"], 2);
    expect(parts(rdd.sortBy((s) => s.length))).toEqual([["a", "d"], ["bb", "cc", "eee"]]);
    expect(rdd.sortBy((s) => s.length, false).collect()).toEqual(["eee", "bb", "cc", "a", "d"]);
    expect(rdd.sortBy((s) => s, true, 1).numPartitions).toBe(1);
    expect(() => rdd.sortBy((s) => s, "yes" as never)).toThrow(TypeError);
    expect(() => rdd.sortBy((s) => s, true, 0)).toThrow(RangeError);
  });

  it("repartition balances contiguous partitions and keeps order", () => {
    const rdd = RDD.fromPartitions([[1, 2, 3, 4, 5], []]);
    expect(parts(rdd.repartition(3))).toEqual([[1], [2, 3], [4, 5]]);
    expect(() => rdd.repartition(0)).toThrow(/repartition\(n\) expects numPartitions to be a whole number ≥ 1; got number 0/);
  });
});

describe("actions", () => {
  const rdd = RDD.parallelize([1, 2, 3, 4], 3);
  const empty = RDD.fromPartitions<number>([[], []]);

  it("collect, count, take, first, isEmpty", () => {
    expect(rdd.collect()).toEqual([1, 2, 3, 4]);
    expect(rdd.count()).toBe(4);
    expect(rdd.first()).toBe(1);
    expect(rdd.isEmpty()).toBe(false);
    expect(empty.first()).toBeUndefined();
    expect(empty.isEmpty()).toBe(true);
    expect(RDD.empty().isEmpty()).toBe(true);
    expect(empty.count()).toBe(0);
  });

  it("reduce and fold; reduce of an empty RDD throws", () => {
    expect(rdd.reduce((a, b) => a + b)).toBe(10);
    expect(() => empty.reduce((a, b) => a + b)).toThrow(new RangeError("reduce() of an empty RDD; use fold(zero, f)"));
    expect(rdd.fold(0, (a, b) => a + b)).toBe(10);
    expect(empty.fold(0, (a, b) => a + b)).toBe(0);
    // Spark folds each partition from zero, then the partition results from zero again.
    expect(rdd.fold(1, (a, b) => a + b)).toBe(14);
    // A mutable zero is copied, not shared between partitions.
    expect(RDD.parallelize([[1], [2]], 2).fold([] as number[], (a, b) => (a.push(...b), a))).toEqual([1, 2]);
  });

  it("countByValue counts by value in order of first appearance; foreach visits every record", () => {
    const counts = RDD.parallelize<unknown>(["a", [1], "b", [1], "a", 1]).countByValue();
    expect([...counts]).toEqual([["a", 2], [[1], 2], ["b", 1], [1, 1]]);
    const seen: number[] = [];
    rdd.foreach((x) => seen.push(x));
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
