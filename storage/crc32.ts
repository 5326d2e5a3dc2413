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
