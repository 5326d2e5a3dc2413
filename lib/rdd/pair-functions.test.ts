import { describe, expect, it } from "vitest";
import { RDD } from "./rdd.js";
import { HashPartitioner } from "./partitioner.js";

const add = (a: number, b: number) => a + b;
const pairs = <K, V>(data: [K, V][], n = 1) => RDD.parallelize(data, n);

describe("keyed aggregation", () => {
  it("reduceByKey keeps keys in order of first appearance, partition by partition", () => {
    const rdd = RDD.fromPartitions<[string, number]>([[["b", 1], ["a", 2]], [["c", 3], ["a", 4], ["b", 5]]]);
    expect(rdd.reduceByKey(add, 1).collect()).toEqual([["b", 6], ["a", 6], ["c", 3]]);
    expect(rdd.reduceByKey(add).numPartitions).toBe(2);
    expect(() => rdd.reduceByKey(add, 0)).toThrow(RangeError);
    expect(() => rdd.reduceByKey("+" as never)).toThrow(/reduceByKey\(f\) expects a function/);
  });

  it("hash-partitions the output deterministically when numPartitions > 1", () => {
    const data: [string, number][] = Array.from({ length: 50 }, (_, i) => [`k${i % 17}`, i]);
    const out = pairs(data, 3).reduceByKey(add, 4).partitionArrays();
    expect(out).toHaveLength(4);
    const p = new HashPartitioner(4);
    out.forEach((part, i) => part.forEach(([k]) => expect(p.getPartition(k)).toBe(i)));
    expect(pairs(data, 3).reduceByKey(add, 4).partitionArrays()).toEqual(out);
    expect(out.flat()).toHaveLength(17);
  });

  it("compares composite keys by value", () => {
    const rdd = pairs<unknown, number>([[["a", 1], 1], [{ x: 1, y: 2 }, 2], [["a", 1], 3], [{ y: 2, x: 1 }, 4], [["a", "1"], 5]]);
    expect(rdd.reduceByKey(add).collect()).toEqual([[["a", 1], 4], [{ x: 1, y: 2 }, 6], [["a", "1"], 5]]);
    expect(pairs<unknown, number>([[1, 1], ["1", 2], [1, 3]]).reduceByKey(add).collect()).toEqual([[1, 4], ["1", 2]]);
  });

  it("groupByKey keeps values in arrival order", () => {
    const rdd = RDD.fromPartitions<[string, number]>([[["a", 1], ["b", 2]], [["a", 3]]]);
    expect(rdd.groupByKey(1).collect()).toEqual([["a", [1, 3]], ["b", [2]]]);
  });

  it("combineByKey combines per partition, then merges combiners across partitions", () => {
    const calls: string[] = [];
    const rdd = RDD.fromPartitions<[string, number]>([[["a", 1], ["a", 2]], [["a", 3]]]);
    const out = rdd.combineByKey(
      (v) => (calls.push(`create ${v}`), [v]),
      (c, v) => (calls.push(`merge ${v}`), [...c, v]),
      (x, y) => (calls.push(`combine ${x}|${y}`), [...x, ...y]),
      1,
    );
    expect(out.collect()).toEqual([["a", [1, 2, 3]]]);
    expect(calls).toEqual(["create 1", "merge 2", "create 3", "combine 1,2|3"]);
  });

  it("foldByKey and aggregateByKey start each key from a copy of zero", () => {
    const rdd = RDD.fromPartitions<[string, number]>([[["a", 1], ["b", 2]], [["a", 3]]]);
    expect(rdd.foldByKey(0, add, 1).collect()).toEqual([["a", 4], ["b", 2]]);
    const lists = rdd.aggregateByKey([] as number[], (u, v) => (u.push(v), u), (x, y) => x.concat(y), 1);
    expect(lists.collect()).toEqual([["a", [1, 3]], ["b", [2]]]);
    expect(rdd.aggregateByKey(0, (u, v) => u + v, add).collectAsMap()).toEqual(new Map([["a", 4], ["b", 2]]));
  });
});

describe("narrow pair operations", () => {
  it("mapValues, flatMapValues, keys, values are lazy and keep keys", () => {
    let calls = 0;
    const rdd = pairs<string, number>([["a", 1], ["b", 2]], 2);
    const mapped = rdd.mapValues((v) => (calls++, v * 10));
    expect(calls).toBe(0);
    expect(mapped.collect()).toEqual([["a", 10], ["b", 20]]);
    expect(mapped.numPartitions).toBe(2);
    expect(rdd.flatMapValues((v) => Array(v).fill(v)).collect()).toEqual([["a", 1], ["b", 2], ["b", 2]]);
    expect(rdd.keys().collect()).toEqual(["a", "b"]);
    expect(rdd.values().collect()).toEqual([1, 2]);
    expect(() => rdd.mapValues(3 as never)).toThrow(TypeError);
  });
});

describe("pair actions and partitioning", () => {
  const rdd = pairs<unknown, number>([["a", 1], [["k"], 2], ["a", 3], [["k"], 4]]);

  it("countByKey and collectAsMap compare keys by value; the last value wins", () => {
    expect([...rdd.countByKey()]).toEqual([["a", 2], [["k"], 2]]);
    expect([...rdd.collectAsMap()]).toEqual([["a", 3], [["k"], 4]]);
    expect(RDD.empty<[string, number]>().collectAsMap().size).toBe(0);
  });

  it("sortByKey sorts stably by key", () => {
    const r = pairs<number, string>([[2, "x"], [1, "y"], [2, "z"], [0, "w"]], 2);
    expect(r.sortByKey().collect()).toEqual([[0, "w"], [1, "y"], [2, "x"], [2, "z"]]);
    expect(r.sortByKey(false, 1).collect()).toEqual([[2, "x"], [2, "z"], [1, "y"], [0, "w"]]);
    expect(r.sortByKey().numPartitions).toBe(2);
  });

  it("partitionBy hash-partitions by key, keeping arrival order", () => {
    const r = pairs<string, number>([["a", 1], ["b", 2], ["a", 3], ["c", 4]]);
    const out = r.partitionBy(3).partitionArrays();
    const p = new HashPartitioner(3);
    expect(out).toHaveLength(3);
    expect(out.flat()).toHaveLength(4);
    expect(out[p.getPartition("a")]?.filter(([k]) => k === "a")).toEqual([["a", 1], ["a", 3]]);
    expect(r.partitionBy(1).collect()).toEqual(r.collect());
    expect(() => r.partitionBy(undefined as never)).toThrow(TypeError);
  });

  it("gives empty results on empty RDDs", () => {
    const empty = RDD.empty<[string, number]>();
    expect(empty.reduceByKey(add).collect()).toEqual([]);
    expect(empty.reduceByKey(add).numPartitions).toBe(1);
    expect(empty.groupByKey(3).partitionArrays()).toEqual([[], [], []]);
    expect(empty.countByKey().size).toBe(0);
    expect(empty.sortByKey().collect()).toEqual([]);
  });
});
