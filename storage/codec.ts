/**
 * The value codec: the only msgpackr imports in the project (here and in `escape.ts`). A stored
 * value is `[format version: 1 byte][CRC-32 of the payload: 4 bytes BE][msgpackr payload]`, so a
 * torn, truncated or bit-flipped value, or one written by a newer format, is caught on read and
 * reported with its key instead of decoding into wrong data.
 *
 * Every value is checked to be plain data before it is packed (`plain-data.ts`): what would not
 * come back as it was is refused with a TypeError, never written.
 */
import { Packr } from "msgpackr";
import { ErrorCodes, StorageError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { escapeValue } from "./escape.js";
import { printKey } from "./keys.js";
import { scanPlainData } from "./plain-data.js";

/**
 * The format version this build writes. Version 1 wrote Sets as arrays, typed arrays as Buffers,
 * -0 as 0 and lone surrogates as U+FFFD; version 2 keeps them. Version 2 only adds extensions a
 * version-1 payload never holds, so one reader decodes both (golden-v1 is read as it was).
 */
export const CODEC_VERSION = 2;

/** The oldest format version this build reads. */
export const OLDEST_CODEC_VERSION = 1;

const HEADER = 5;

/*
 * Options, chosen deliberately:
 * - useRecords: true and mapsAsObjects: false. Plain objects are written as msgpackr records and
 *   Maps as msgpack maps, so both come back as what they were (with records off, both are msgpack
 *   maps and one of them is lost; a Map with object keys cannot decode as an object at all).
 *   No `structures` option is given, so every record definition is written inline in the value
 *   that uses it: values are self-contained, with no shared structure table that could be lost or
 *   disagree after a restart. msgpackr bounds its own transition cache.
 * - useBigIntExtension: true. bigints of any size round-trip (int64-range ones as msgpack int64,
 *   larger ones as an extension) rather than throwing; int64AsType "bigint" keeps int64 values
 *   bigints on read, so a bigint never comes back as a number. Numbers stay numbers.
 * - undefined (also inside arrays, as in `[key, undefined]`) round-trips through msgpackr's own
 *   extension; Buffers come back as Buffers, Dates as Dates.
 * - moreTypes: true (format 2). Sets come back as Sets, typed arrays and ArrayBuffers as what they
 *   were (format 1 wrote a Set as an array: a Set state failed the first batch after recovery).
 * - structuredClone stays off: reference tracking costs a Map entry per object on every block,
 *   and plain data is a tree (cycles are refused by the plain-data check).
 * - -0 and strings that are not well-formed UTF-16 go through `escape.ts`.
 */
const packr = new Packr({
  useRecords: true,
  mapsAsObjects: false,
  useBigIntExtension: true,
  int64AsType: "bigint",
  moreTypes: true,
});

/**
 * Encodes a value with its format version and checksum. Throws a `NotPlainDataError` (a
 * TypeError naming the path) for a value that is not plain data; nothing is written then.
 */
export function encodeValue(value: unknown): Buffer {
  const payload = packr.pack(scanPlainData(value) ? escapeValue(value) : value);
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out[0] = CODEC_VERSION;
  out.writeUInt32BE(crc32(payload), 1);
  payload.copy(out, HEADER);
  return out;
}

/**
 * Decodes a value written by {@link encodeValue}. `key` (a key or its printable form) names the
 * record in the error. Throws `StorageError(STORAGE_CORRUPT)` on a short value, an unknown version,
 * a CRC mismatch, or a payload msgpackr cannot read.
 */
export function decodeValue(key: string | Uint8Array, buf: Uint8Array): unknown {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < HEADER + 1) throw corrupt(key, `is ${bytes.length} bytes, shorter than any value`);
  const version = bytes[0]!;
  if (version < OLDEST_CODEC_VERSION || version > CODEC_VERSION) {
    throw corrupt(key, `has format version ${version}; this build reads versions ${OLDEST_CODEC_VERSION} to ${CODEC_VERSION}`);
  }
  const payload = bytes.subarray(HEADER);
  const expected = bytes.readUInt32BE(1);
  const actual = crc32(payload);
  if (actual !== expected) {
    throw corrupt(key, `fails its CRC-32 (stored ${hex32(expected)}, computed ${hex32(actual)})`);
  }
  try {
    return packr.unpack(payload);
  } catch (cause) {
    throw corrupt(key, "passes its CRC-32 but its payload does not decode", cause);
  }
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function corrupt(key: string | Uint8Array, what: string, cause?: unknown): StorageError {
  const name = typeof key === "string" ? key : printKey(key);
  return new StorageError(
    ErrorCodes.STORAGE_CORRUPT,
    `Stored record ${name} ${what}. The checkpoint is damaged or from a newer dstream; ` +
      "restore the directory from a backup or start from an empty checkpoint directory.",
    { key: name, cause },
  );
}
