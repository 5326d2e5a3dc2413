import { describe, expect, it } from "vitest";
import { RDD } from "./rdd.js";

const left = RDD.fromPartitions<[string, number]>([[["a", 1], ["b", 2]], [["a", 3]]]);
const right = RDD.parallelize<[string, string]>([["a", "x"], ["c", "y"], ["a", "z"]]);

describe("joins", () => {
  it("join pairs every value of both sides under equal keys", () => {
    expect(left.join(right, 1).collect()).toEqual([
      ["a", [1, "x"]],
      ["a", [1, "z"]],
      ["a", [3, "x"]],
      ["a", [3, "z"]],
    ]);
    expect(left.join(right).numPartitions).toBe(2);
  });

  it("outer joins fill the missing side with undefined", () => {
    expect(left.leftOuterJoin(right, 1).collect()).toEqual([
      ["a", [1, "x"]],
      ["a", [1, "z"]],
      ["a", [3, "x"]],
      ["a", [3, "z"]],
      ["b", [2, undefined]],
    ]);
    expect(left.rightOuterJoin(right, 1).collect()).toEqual([
      ["a", [1, "x"]],
      ["a", [1, "z"]],
      ["a", [3, "x"]],
      ["a", [3, "z"]],
      ["c", [undefined, "y"]],
    ]);
    expect(left.fullOuterJoin(right, 1).collect()).toEqual([
      ["a", [1, "x"]],
      ["a", [1, "z"]],
      ["a", [3, "x"]],
      ["a", [3, "z"]],
      ["b", [2, undefined]],
      ["c", [undefined, "y"]],
    ]);
  });

  it("cogroup gives both value lists for every key", () => {
    expect(left.cogroup(right, 1).collect()).toEqual([
      ["a", [[1, 3], ["x", "z"]]],
      ["b", [[2], []]],
      ["c", [[], ["y"]]],
    ]);
  });

  it("joins composite keys by value", () => {
    const a = RDD.parallelize<[unknown, number]>([[["u", 1], 1], [{ p: 1, q: 2 }, 2], [["u", "1"], 3]]);
    const b = RDD.parallelize<[unknown, string]>([[["u", 1], "x"], [{ q: 2, p: 1 }, "y"]]);
    expect(a.join(b).collect()).toEqual([[["u", 1], [1, "x"]], [{ p: 1, q: 2 }, [2, "y"]]]);
  });

  it("subtractByKey drops keys present in the other RDD", () => {
    const a = RDD.parallelize<[unknown, number]>([["a", 1], [[1], 2], ["b", 3], ["a", 4]]);
    const b = RDD.parallelize<[unknown, boolean]>([[[1], true]]);
    expect(a.subtractByKey(b).collect()).toEqual([["a", 1], ["a", 4], ["b", 3]]);
    expect(a.subtractByKey(RDD.empty<[unknown, number]>()).count()).toBe(4);
  });

  it("handles empty sides and rejects a non-RDD", () => {
    const empty = RDD.empty<[string, string]>();
    expect(left.join(empty).collect()).toEqual([]);
    expect(left.leftOuterJoin(empty, 1).collect()).toEqual([["a", [1, undefined]], ["a", [3, undefined]], ["b", [2, undefined]]]);
    expect(empty.join(empty).numPartitions).toBe(1);
    expect(() => left.join([] as never)).toThrow(/join\(other\) expects an RDD of pairs/);
  });

  it("distributes over several output partitions deterministically", () => {
    const big = RDD.parallelize<[number, number]>(Array.from({ length: 40 }, (_, i) => [i % 13, i]), 3);
    const once = big.join(big, 5).partitionArrays();
    expect(big.join(big, 5).partitionArrays()).toEqual(once);
    expect(once.flat().length).toBe(big.join(big, 1).count());
  });
});
