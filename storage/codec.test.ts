import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StreamingError } from "../errors.js";
import { CODEC_VERSION, decodeValue, encodeValue } from "./codec.js";
import { crc32, crc32Table } from "./crc32.js";
import { walKey } from "./keys.js";

const KEY = walKey(3, 42);
// JSON values with -0 folded to 0, as JSON itself does (see the -0 test).
const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const corruptNaming = (e: unknown) =>
  StreamingError.is(e, "DSTREAM_STORAGE_CORRUPT") && (e as Error).message.includes("wal/3/000000000000002a");

describe("codec", () => {
  it("round-trips what keyed state and blocks hold", () => {
    const values: unknown[] = [
      [["word", 3], ["other", undefined], [{ a: 1 }, [1, 2]]],
      new Map<unknown, unknown>([["a", 1], [{ x: 1 }, new Map([[1n, "big"]])]]),
      { deltas: { op1: { set: [["k", 1]], removed: ["z"] } }, time: 1_700_000_000_000 },
      [2n ** 70n, -5n, 2 ** 53 - 1, -0.5, "ü€😀", null, true, undefined],
      Buffer.from("bytes"),
      [],
      {},
    ];
    for (const v of values) expect(decodeValue(KEY, encodeValue(v))).toEqual(v);
    expect(encodeValue(1)[0]).toBe(CODEC_VERSION);
  });

  it("keeps Maps and plain objects apart", () => {
    const out = decodeValue(KEY, encodeValue([new Map([["a", 1]]), { a: 1 }])) as unknown[];
    expect(out[0]).toBeInstanceOf(Map);
    expect(Object.getPrototypeOf(out[1])).toBe(Object.prototype);
  });

  it("writes -0 as 0 (msgpack integers have no negative zero)", () => {
    expect(Object.is(decodeValue(KEY, encodeValue(-0)), 0)).toBe(true);
  });

  it("round-trips arbitrary JSON-like values, bigints and undefined in arrays", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer(), fc.bigInt()), fc.oneof(json, fc.constant(undefined)))), (pairs) => {
        expect(decodeValue(KEY, encodeValue(pairs))).toEqual(pairs);
      }),
    );
  });

  it("rejects a flipped byte, a truncated value and an unknown version, naming the key", () => {
    const good = encodeValue({ records: ["a", "b", "c"] });
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x10;
      expect(() => decodeValue(KEY, bad)).toThrow();
      try {
        decodeValue(KEY, bad);
      } catch (e) {
        expect(corruptNaming(e)).toBe(true);
      }
    }
    expect(() => decodeValue(KEY, good.subarray(0, good.length - 1))).toSatisfy(throwsCorrupt);
    expect(() => decodeValue(KEY, good.subarray(0, 3))).toSatisfy(throwsCorrupt);
    const future = Buffer.from(good);
    future[0] = CODEC_VERSION + 1;
    expect(() => decodeValue("wal/3/000000000000002a", future)).toSatisfy(throwsCorrupt);
  });

  it("computes the same CRC-32 natively and with the fallback table", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
      expect(crc32Table(data)).toBe(crc32(data));
    }));
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

function throwsCorrupt(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    return corruptNaming(e);
  }
}
