import { describe, expect, it } from "vitest";
import { KeyedState } from "./state-operator.js";

describe("KeyedState changelog", () => {
  it("a delta holds the keys set or removed since the last one, with their latest values", () => {
    const s = new KeyedState<string, number>();
    s.set("a", 1);
    s.set("b", 2);
    s.set("a", 3);
    expect(s.takeDelta()).toEqual({ set: [["a", 3], ["b", 2]], del: [] });
    expect(s.takeDelta()).toBeUndefined();
    s.delete("b");
    s.delete("zz"); // absent: no change
    s.set("c", 4);
    s.delete("c");
    expect(s.takeDelta()).toEqual({ set: [], del: ["b", "c"] });
  });

  it("setting a key to the primitive value it has is no change; objects always are", () => {
    const s = new KeyedState<unknown, unknown>();
    const obj = { n: 1 };
    s.set("n", 5);
    s.set("u", undefined);
    s.set("o", obj);
    s.set(["k", 1], "x");
    s.takeDelta();
    s.set("n", 5);
    s.set("u", undefined);
    s.set(["k", 1], "x");
    expect(s.takeDelta()).toBeUndefined();
    obj.n = 2; // mutated in place and set again: must be written
    s.set("o", obj);
    s.set("missing", undefined); // a new key with an undefined value is a change
    expect(s.takeDelta()).toEqual({ set: [["o", { n: 2 }], ["missing", undefined]], del: [] });
  });

  it("restore rebuilds from a snapshot and deltas, nothing dirty after", () => {
    const s = new KeyedState<string, number>();
    s.restore([["a", 1], ["b", 2]], [{ set: [["c", 3]], del: ["a"] }, undefined]);
    expect(s.snapshot()).toEqual([["b", 2], ["c", 3]]);
    expect(s.takeDelta()).toBeUndefined();
  });
});

describe("KeyedState replay order", () => {
  it("replays a key removed and set again in one batch at the end, where the original run put it", () => {
    const live = new KeyedState<string, number>();
    live.set("a", 1);
    live.set("b", 2);
    live.set("c", 3);
    const first = live.takeDelta();
    live.delete("a");
    live.set("x", 9);
    live.set("a", 4);
    live.delete("c");
    const second = live.takeDelta();
    const replayed = new KeyedState<string, number>();
    replayed.restore(undefined, [first, second]);
    expect([...replayed.entries()]).toEqual([...live.entries()]);
    expect([...live.entries()]).toEqual([
      ["b", 2],
      ["x", 9],
      ["a", 4],
    ]);
  });
});
