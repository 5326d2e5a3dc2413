import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchKey, batchRange, decodeKey, MANIFEST_CHUNK, metaKey, printKey, sinkKey, sinkRange, snapshotKey, snapshotRange, walHeadKey, walKey, walRange } from "./keys.js";

const inRange = (k: Buffer, r: { gte: Buffer; lt: Buffer }) => Buffer.compare(k, r.gte) >= 0 && Buffer.compare(k, r.lt) < 0;
const time = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe("keys", () => {
  it("byte order is numeric order for times and seqs", () => {
    fc.assert(
      fc.property(time, time, (a, b) => {
        expect(Math.sign(Buffer.compare(batchKey(a), batchKey(b)))).toBe(Math.sign(a - b));
        expect(Math.sign(Buffer.compare(walKey(1, a), walKey(1, b)))).toBe(Math.sign(a - b));
      }),
    );
  });

  it("decodes what it encodes and prints readable names", () => {
    expect(printKey(walKey(3, 42))).toBe("wal/3/000000000000002a");
    expect(decodeKey(walKey(3, 2 ** 53 - 1))).toEqual({ space: "wal", receiverId: 3, seq: 2 ** 53 - 1 });
    expect(decodeKey(sinkKey("out", 5))).toEqual({ space: "sink", sinkId: "out", time: 5 });
    expect(decodeKey(snapshotKey("op-ü", 7, 2))).toEqual({ space: "snapshot", operatorId: "op-ü", version: 7, chunk: 2 });
    expect(printKey(snapshotKey("op", 1, MANIFEST_CHUNK))).toBe("snapshot/op/0000000000000001/manifest");
    expect(printKey(metaKey("checkpoint"))).toBe("meta/checkpoint");
    expect(printKey(walHeadKey(4))).toBe("walhead/4");
    expect(decodeKey(Buffer.from("nonsense")).space).toBe("unknown");
  });

  it("ranges hold exactly their keys; an id's range excludes ids it prefixes", () => {
    expect(inRange(walKey(1, 5), walRange(1, 5, 6))).toBe(true);
    expect(inRange(walKey(1, 6), walRange(1, 5, 6))).toBe(false);
    expect(inRange(walKey(2, 0), walRange(1))).toBe(false);
    expect(inRange(walKey(0xffff_ffff, 9), walRange(0xffff_ffff))).toBe(true);
    expect(inRange(snapshotKey("op2", 1, 0), snapshotRange("op"))).toBe(false);
    expect(inRange(snapshotKey("op", 9, MANIFEST_CHUNK), snapshotRange("op"))).toBe(true);
    expect(inRange(sinkKey("s", 4), sinkRange("s", 0, 5))).toBe(true);
    expect(inRange(batchKey(10), batchRange(0, 10))).toBe(false);
  });

  it("rejects values the layout cannot hold", () => {
    expect(() => batchKey(-1)).toThrow(RangeError);
    expect(() => batchKey(2 ** 53)).toThrow(RangeError);
    expect(() => walKey(2 ** 32, 0)).toThrow(RangeError);
    expect(() => sinkKey("a\0b", 0)).toThrow(TypeError);
    expect(() => snapshotKey("", 0, 0)).toThrow(TypeError);
  });
});
