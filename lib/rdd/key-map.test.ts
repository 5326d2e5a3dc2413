import { describe, expect, it } from "vitest";
import { KeyMap, canonicalKey } from "./key-map.js";

describe("canonicalKey", () => {
  it("tags types so equal-looking values of different types differ", () => {
    expect(canonicalKey(1)).not.toBe(canonicalKey("1"));
    expect(canonicalKey([1])).not.toBe(canonicalKey(["1"]));
    expect(canonicalKey(true)).not.toBe(canonicalKey("T"));
    expect(canonicalKey(1n)).not.toBe(canonicalKey(1));
    expect(canonicalKey(null)).not.toBe(canonicalKey(undefined));
    expect(canonicalKey(["a,b"])).not.toBe(canonicalKey(["a", "b"]));
    expect(canonicalKey([[1], 2])).not.toBe(canonicalKey([1, [2]]));
  });

  it("sorts object keys and agrees with SameValueZero on numbers", () => {
    expect(canonicalKey({ a: 1, b: [2] })).toBe(canonicalKey({ b: [2], a: 1 }));
    expect(canonicalKey([0])).toBe(canonicalKey([-0]));
    expect(canonicalKey([NaN])).toBe(canonicalKey([NaN]));
    expect(canonicalKey(new Date(5))).toBe(canonicalKey(new Date(5)));
  });

  it("refuses functions inside keys and cycles", () => {
    expect(() => canonicalKey([() => 1])).toThrow(TypeError);
    const a: unknown[] = [];
    a.push(a);
    expect(() => canonicalKey(a)).toThrow(/cyclic/);
  });
});

describe("KeyMap", () => {
  it("compares composite keys by value and primitives as a Map does", () => {
    const m = new KeyMap<unknown, string>();
    m.set(["a", 1], "x").set({ p: 1, q: 2 }, "y").set(1, "one").set("1", "string one").set(NaN, "nan");
    expect(m.get(["a", 1])).toBe("x");
    expect(m.get({ q: 2, p: 1 })).toBe("y");
    expect(m.get(["a", "1"])).toBeUndefined();
    expect(m.get(1)).toBe("one");
    expect(m.get("1")).toBe("string one");
    expect(m.get(NaN)).toBe("nan");
    expect(m.has(["a", 1])).toBe(true);
    expect(m.has(["b"])).toBe(false);
    expect(m.size).toBe(5);
  });

  it("keeps insertion order across primitive and composite keys and the first key object", () => {
    const m = new KeyMap<unknown, number>();
    const first = ["k"];
    m.set("a", 1);
    m.set(first, 2);
    m.set("b", 3);
    m.set(["k"], 4);
    expect([...m.keys()]).toEqual(["a", ["k"], "b"]);
    expect([...m.keys()][1]).toBe(first);
    expect([...m.values()]).toEqual([1, 4, 3]);
    expect([...m.entries()]).toEqual([["a", 1], [["k"], 4], ["b", 3]]);
  });

  it("upserts in one call and stores undefined values faithfully", () => {
    const m = new KeyMap<unknown, number | undefined>();
    const add = (n: number | undefined, by: number) => (n ?? 100) + by;
    m.upsert(["x"], 1, (by) => by, add);
    m.upsert(["x"], 2, (by) => by, add);
    expect(m.get(["x"])).toBe(3);
    m.set("u", undefined);
    expect(m.upsert("u", 5, () => -1, add)).toBe(105);
  });

  it("deletes and clears", () => {
    const m = new KeyMap<unknown, number>();
    m.set([1], 1).set(2, 2);
    expect(m.delete([1])).toBe(true);
    expect(m.delete([1])).toBe(false);
    expect(m.has([1])).toBe(false);
    m.set([1], 5);
    expect(m.get([1])).toBe(5);
    expect(m.delete(2)).toBe(true);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.toMap()).toEqual(new Map());
  });
});
