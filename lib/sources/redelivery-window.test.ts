import { describe, expect, it } from "vitest";
import { RedeliveryWindow } from "./redelivery-window.js";

const entries = (keys: string[], from: number): { key: string; pos: number }[] => keys.map((key, i) => ({ key, pos: from + i }));

describe("RedeliveryWindow", () => {
  it("holds what may come back: drops an identity once `inflight` later deliveries prove its ack arrived", () => {
    const w = new RedeliveryWindow(3);
    w.add(entries(["a", "b", "c"], 1));
    expect(w.snapshot([]).redelivery).toEqual(["a", "b", "c"]);
    // Delivery 4 needs the ack of 1 (at most 3 unacknowledged): a goes.
    expect(w.arrived("d", 4, false)).toBe(false);
    expect(w.snapshot([{ key: "d" }]).redelivery).toEqual(["b", "c", "d"]);
    w.add(entries(["d"], 4));
    // Delivery 6: at most 4 and 5 unacknowledged before it, so c (3) is acknowledged too.
    expect(w.arrived("e", 6, false)).toBe(false);
    expect(w.snapshot([]).redelivery).toEqual(["d"]);
  });

  it("with inflight = Infinity, holds identities until confirm() proves their acks were processed", () => {
    const w = new RedeliveryWindow(Infinity);
    w.add(entries(["a", "b", "c", "d"], 1));
    // However many deliveries follow, nothing is assumed acknowledged (a broker may overrun its Receive Maximum).
    expect(w.arrived("e", 1000, false)).toBe(false);
    expect(w.snapshot([]).redelivery).toEqual(["a", "b", "c", "d"]);
    w.confirm(2);
    expect(w.snapshot([]).redelivery).toEqual(["c", "d"]);
    // Unconfirmed identities come back as restored ones on a new connection.
    w.newConnection();
    expect(w.arrived("c", 1, true)).toBe(true);
    expect(w.arrived("a", 2, true)).toBe(false);
  });

  it("after a restart, recognises redeliveries by identity and count, and forgets the rest at the first fresh message", () => {
    const w = RedeliveryWindow.restore({ redelivery: ["x", "same", "same", "y"] }, 100);
    expect(w.size).toBe(4);
    // A fresh delivery is never a duplicate, even with a held identity... but redeliveries come first.
    expect(w.arrived("same", 1, true)).toBe(true);
    expect(w.arrived("same", 2, true)).toBe(true);
    expect(w.arrived("same", 3, true)).toBe(false); // a third "same" was never stored
    expect(w.arrived("x", 4, true)).toBe(true);
    // The duplicates' acks are pending again: they stay in what the next block's offset carries.
    expect(w.snapshot(entries(["same", "same", "x"], 1)).redelivery.sort()).toEqual(["same", "same", "x", "y"]);
    expect(w.arrived("z", 5, false)).toBe(false);
    expect(w.arrived("y", 6, true)).toBe(false); // y's ack had arrived before the crash
    expect(w.size).toBe(0);
  });

  it("a new connection turns every held identity into a restored one; giveBack returns unacknowledged duplicates", () => {
    const w = new RedeliveryWindow(10);
    w.add(entries(["a", "b"], 1));
    w.newConnection();
    expect(w.arrived("a", 1, true)).toBe(true);
    w.giveBack(["a"]);
    expect(w.arrived("a", 2, true)).toBe(true);
    expect(w.arrived("b", 3, true)).toBe(true);
    expect(w.snapshot([]).redelivery).toEqual([]);
  });

  it("reads anything but its own offset (a fresh checkpoint, another receiver's) as empty", () => {
    expect(RedeliveryWindow.restore(undefined, 5).size).toBe(0);
    expect(RedeliveryWindow.restore(42, 5).size).toBe(0);
    expect(RedeliveryWindow.restore({ redelivery: [1, "k"] }, 5).size).toBe(1);
  });
});
