import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StreamingError } from "../errors.js";
import { CODEC_VERSION, decodeValue, encodeValue } from "./codec.js";
import { NotPlainDataError, notPlainData } from "./plain-data.js";
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

  it("round-trips every plain-data type of API.md exactly: -0, NaN, Set, Date, typed arrays, lone surrogates", () => {
    const lone = "a\ud800b";
    const longLone = "x".repeat(100) + "\udc00";
    const values: unknown[] = [
      -0, [-0, 0], { z: -0 }, new Map([[-0, -0]]), NaN, -Infinity,
      new Set([1, "a", [2]]), new Map([["s", new Set(["x"])]]),
      new Date(1_700_000_000_123), new Date(-5), new Date(NaN),
      new Uint8Array([1, 2, 255]), new Int16Array([-3, 4]), new Float64Array([1.5, -0]), new BigInt64Array([-5n]),
      new Uint8ClampedArray([7]), new Float32Array([0.25]), new Uint32Array([2 ** 32 - 1]), new ArrayBuffer(3), Buffer.from("b"),
      lone, longLone, [lone, longLone], { [lone]: lone, plain: 1 }, new Map([[lone, lone]]), new Set([lone]),
      2n ** 64n, -(2n ** 64n) - 1n, 2 ** 53 + 2, -(2 ** 40),
    ];
    for (const v of values) {
      const back = decodeValue(KEY, encodeValue(v));
      expect(back, String(v)).toStrictEqual(v);
      expect(Object.prototype.toString.call(back)).toBe(Object.prototype.toString.call(v));
      if (typeof v === "object" && v !== null) expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(v));
    }
    expect(Object.is(decodeValue(KEY, encodeValue(-0)), -0)).toBe(true);
    expect(Object.is((decodeValue(KEY, encodeValue({ z: -0 })) as { z: number }).z, -0)).toBe(true);
    expect(decodeValue(KEY, encodeValue(lone))).toBe(lone);
    expect(Object.keys(decodeValue(KEY, encodeValue({ [lone]: 1 })) as object)).toEqual([lone]);
    const proto = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as object;
    const protoBack = decodeValue(KEY, encodeValue([proto]));
    expect(protoBack).toStrictEqual([proto]);
    expect(Object.getPrototypeOf((protoBack as object[])[0])).toBe(Object.prototype);
  });

  it("round-trips arbitrary structured values (fast-check anything, with -0 and lone surrogates)", () => {
    const plain = fc.anything({
      withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: false,
      withObjectString: false, withBoxedValues: false, withSparseArray: false, stringUnit: "binary",
    });
    fc.assert(
      fc.property(plain, (v) => {
        const back = decodeValue(KEY, encodeValue(v));
        expect(back).toStrictEqual(v);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses what is not plain data with a TypeError naming the path and what was found", () => {
    class Point {
      constructor(readonly x: number) {}
      norm(): number {
        return Math.abs(this.x);
      }
    }
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = { back: circular };
    const cases: [unknown, RegExp][] = [
      [[1, () => 2], /^a function at \[1\]/],
      [{ s: Symbol("x") }, /^a symbol \(Symbol\(x\)\) at \.s/],
      [[{ p: new Point(1) }], /^an instance of class Point \(with methods norm\).* at \[0\]\.p/],
      [circular, /^a circular reference .* at \.self\.back/],
      [new Map([["k", new Error("e")]]), /instance of class Error.* at <value 0>/],
      [Object.create(null), /null prototype/],
      [{ "my key": /re/ }, /instance of class RegExp.* at \["my key"\]/],
    ];
    for (const [v, message] of cases) {
      expect(() => encodeValue(v)).toThrow(TypeError);
      expect(() => encodeValue(v)).toThrow(message);
      expect(notPlainData(v)).toBeInstanceOf(NotPlainDataError);
    }
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 1000; i++) at.push((at = []));
    expect(decodeValue(KEY, encodeValue(deep))).toEqual(deep);
  });

  it("pins format 2: these bytes must keep decoding to this value (a format change breaks this test)", () => {
    const v2 = Buffer.from("0284968d4c96d4730091a161d42d00c7037403feffd675780000d8d46f009192d57500dc0181d30000000000000001d7ff1d5353006553f100", "hex");
    const value = [new Set(["a"]), -0, new Int16Array([-2]), "x\ud800", { "\udc00": 1 }, new Map<unknown, unknown>([[1n, new Date(1_700_000_000_123)]])];
    expect(decodeValue(KEY, v2)).toStrictEqual(value);
    expect(encodeValue(value).equals(v2)).toBe(true);
  });

  it("reads values written by format 1 (the golden checkpoint's format)", () => {
    const v1 = Buffer.from("0138a5343e9482a16101d30000000000000002d4724091a17893d40000c0c3c4020102d7ff1d5353006553f100a2c3a9", "hex");
    expect(v1[0]).toBe(1);
    expect(decodeValue(KEY, v1)).toStrictEqual([
      new Map<unknown, unknown>([["a", 1], [2n, { x: [undefined, null, true] }]]),
      Buffer.from([1, 2]),
      new Date(1_700_000_000_123),
      "é",
    ]);
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
