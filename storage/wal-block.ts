/**
 * The stored form of one WAL block: one value holding its records, their count and the offset.
 *
 * Two layouts, told apart by length:
 * - `[count, offset, records]` for any records;
 * - `[count, offset, joined, lengths]` when every record is a string (the common case: lines):
 *   the strings joined into one, and each one's length in UTF-16 units as u32 LE bytes. Packing
 *   one long string instead of 1000 short ones halves the encoding cost on the main thread
 *   (measured ~55 vs ~125 us per block of 1000 30-byte records), which is the WAL's only cost
 *   there (DESIGN.md §5). Strings with lone surrogates would not survive UTF-8, so they take the
 *   general layout.
 */
import { ErrorCodes, StorageError } from "../errors.js";
import { decodeValue, encodeValue } from "./codec.js";
import { printKey } from "./keys.js";
import { wellFormed } from "./plain-data.js";

/** One block as read back from the WAL. */
export interface WalBlock {
  seq: number;
  records: unknown[];
  /** The source offset stored with the block (undefined when the receiver gave none). */
  offset?: unknown;
}

function allStrings(records: readonly unknown[]): records is readonly string[] {
  for (let i = 0; i < records.length; i++) if (typeof records[i] !== "string") return false;
  return records.length > 0;
}

/** Encodes a block. The count is stored beside the records as a second check on top of the CRC. */
export function encodeBlock(records: readonly unknown[], offset: unknown): Buffer {
  if (allStrings(records)) {
    const joined = records.join("");
    if (wellFormed(joined)) {
      const lengths = Buffer.allocUnsafe(records.length * 4);
      const view = new DataView(lengths.buffer, lengths.byteOffset, lengths.byteLength);
      for (let i = 0; i < records.length; i++) view.setUint32(i * 4, records[i]!.length, true);
      return encodeValue([records.length, offset, joined, lengths]);
    }
  }
  return encodeValue([records.length, offset, records]);
}

/** Decodes the block stored under `key`; anything but a well-formed block is `STORAGE_CORRUPT`. */
export function decodeBlock(key: Buffer, seq: number, value: Buffer): WalBlock {
  const decoded = decodeValue(key, value);
  const v: unknown[] = Array.isArray(decoded) ? decoded : [];
  const records = recordsOf(v);
  if (records === undefined) {
    const name = printKey(key);
    throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `WAL block ${name} is not a well-formed block (count, offset, records).`, { key: name });
  }
  return v[1] === undefined ? { seq, records } : { seq, records, offset: v[1] };
}

function recordsOf(v: unknown[]): unknown[] | undefined {
  const count = v[0];
  if (typeof count !== "number") return undefined;
  if (v.length === 3) return Array.isArray(v[2]) && v[2].length === count ? v[2] : undefined;
  const [, , joined, lengths] = v;
  if (v.length !== 4 || typeof joined !== "string" || !(lengths instanceof Uint8Array) || lengths.length !== count * 4) return undefined;
  const view = new DataView(lengths.buffer, lengths.byteOffset, lengths.byteLength);
  const out = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = view.getUint32(i * 4, true);
    out[i] = joined.slice(at, at + n);
    at += n;
  }
  return at === joined.length ? out : undefined;
}
