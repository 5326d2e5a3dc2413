import { afterEach, describe, expect, it } from "vitest";
import { TempTableRegistry, tempTables } from "./temp-tables.js";
import { RDD } from "../rdd/rdd.js";

describe("tempTables", () => {
  afterEach(() => tempTables.clear());

  it("maps arrays positionally, objects by name and primitives to one column", () => {
    const r = new TempTableRegistry();
    expect(r.register("pairs", ["word", "count"], [["a", 1], ["b", undefined]]).rows).toEqual([
      { word: "a", count: 1 },
      { word: "b", count: null },
    ]);
    expect(r.register("objs", ["word", "count"], [{ count: 2, word: "x", extra: 1 }, { word: "y" }]).rows).toEqual([
      { word: "x", count: 2 },
      { word: "y", count: null },
    ]);
    expect(r.register("nums", ["n"], [1, 2]).rows).toEqual([{ n: 1 }, { n: 2 }]);
    expect(r.names()).toEqual(["pairs", "objs", "nums"]);
  });

  it("keeps only the latest rows of a table, looked up in any case", () => {
    const r = new TempTableRegistry();
    r.register("T", ["n"], [1]);
    r.register("t", ["n"], [2, 3]);
    expect(r.get("T")?.rows).toEqual([{ n: 2 }, { n: 3 }]);
    expect(r.get("t")?.name).toBe("t");
    expect(r.names()).toEqual(["t"]);
    expect(r.drop("T")).toBe(true);
    expect(r.get("t")).toBeUndefined();
  });

  it("rejects bad names, columns and rows that do not fit", () => {
    const r = new TempTableRegistry();
    expect(() => r.register("", ["a"], [])).toThrow(TypeError);
    expect(() => r.register("1x", ["a"], [])).toThrow(/identifier/);
    expect(() => r.register("t", [], [])).toThrow(/non-empty array/);
    expect(() => r.register("t", ["a", "A"], [])).toThrow(/appears twice/);
    expect(() => r.register("t", ["a", "b"], [["x"]])).toThrow(/record 0 has 1 values but the table has 2 columns/);
    expect(() => r.register("t", ["a", "b"], [5])).toThrow(/single value/);
  });

  it("is fed by rdd.registerTempTable, which validates before computing", () => {
    RDD.parallelize([["w1", 5], ["w2", 3]], 2).registerTempTable("batch_word_count", ["word", "count"]);
    expect(tempTables.get("batch_word_count")?.rows).toEqual([
      { word: "w1", count: 5 },
      { word: "w2", count: 3 },
    ]);
    let calls = 0;
    const rdd = RDD.parallelize([1]).map((x) => (calls++, x));
    expect(() => rdd.registerTempTable("bad name", ["n"])).toThrow(TypeError);
    expect(() => rdd.registerTempTable("ok", "n" as unknown as string[])).toThrow(TypeError);
    expect(calls).toBe(0);
  });
});
