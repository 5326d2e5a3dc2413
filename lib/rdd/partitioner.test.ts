import { describe, expect, it } from "vitest";
import { HashPartitioner, fnv1a, hashKey } from "./partitioner.js";
import { compareKeys } from "./ordering.js";

describe("HashPartitioner", () => {
  it("is FNV-1a and deterministic, and equal keys land together", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(hashKey({ a: [1, 2], b: "x" })).toBe(hashKey({ b: "x", a: [1, 2] }));
    const p = new HashPartitioner(7);
    for (const k of ["w1", 42, ["a", 1], { z: 1 }]) {
      const i = p.getPartition(k);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(7);
      expect(p.getPartition(structuredClone(k))).toBe(i);
    }
    expect(new HashPartitioner(1).getPartition(["anything"])).toBe(0);
  });

  it("rejects a bad partition count", () => {
    expect(() => new HashPartitioner(0)).toThrow(RangeError);
    expect(() => new HashPartitioner(1.5)).toThrow(/whole number ≥ 1; got number 1.5/);
  });
});

describe("compareKeys", () => {
  it("orders numbers, strings, arrays and mixed kinds totally", () => {
    // (Array.prototype.sort always puts undefined last without asking the comparator.)
    const sorted = ["b", 10, [1, "a"], 2, null, "a", [1], NaN, 3n, true].sort(compareKeys);
    expect(sorted).toEqual([null, true, 2, 3n, 10, NaN, "a", "b", [1], [1, "a"]]);
    expect(compareKeys(undefined, null)).toBeLessThan(0);
    expect(compareKeys({ b: 1 }, { a: 2 })).toBeGreaterThan(0);
    expect(compareKeys(new Date(1), new Date(2))).toBeLessThan(0);
  });
});
