/** CRC-32 (IEEE, as zlib and gzip use it) of a byte range. */
import * as zlib from "node:zlib";

type Crc32 = (data: Uint8Array) => number;

// zlib.crc32 is native and ~4 GB/s; it arrived in Node 20.15, and `engines` allows any Node 20.
const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

let table: Uint32Array | undefined;

/** Table-driven fallback for Node < 20.15; same results as zlib's. */
export function crc32Table(data: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `data`, native when the runtime has it. */
export const crc32: Crc32 = native === undefined ? crc32Table : (data) => native(data) >>> 0;

let tablesC: Uint32Array[] | undefined;

/** Eight 256-entry tables for CRC-32C (Castagnoli), slicing by 8 bytes. */
function castagnoliTables(): Uint32Array[] {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s]![n] = (t[0]![t[s - 1]![n]! & 0xff]! ^ (t[s - 1]![n]! >>> 8)) >>> 0;
  }
  return t;
}

/**
 * CRC-32C (Castagnoli, as LevelDB, iSCSI and ext4 use it) of a byte range. Node has no native
 * CRC-32C; slicing by 8 runs at about a gigabyte a second.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  tablesC ??= castagnoliTables();
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tablesC as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
