/**
 * Snappy's raw block format, decompression only: LevelDB compresses table blocks with it, and the
 * table check (table-check.ts) must read a table's index to find its blocks. The format is a
 * varint length followed by literals and back-references (github.com/google/snappy,
 * format_description.txt).
 */

/** Thrown for input that is not a well-formed Snappy block. */
export class SnappyFormatError extends Error {}

/** Decompresses one raw Snappy block; throws {@link SnappyFormatError} on malformed input. */
export function snappyUncompress(src: Uint8Array): Uint8Array {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new SnappyFormatError("bad uncompressed length");
    const b = src[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > 0xffffffff) throw new SnappyFormatError("uncompressed length too large");
  const out = new Uint8Array(length);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++]!;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const bytes = len - 59;
          if (pos + bytes > src.length) throw new SnappyFormatError("literal length past the end");
          len = 0;
          for (let i = 0; i < bytes; i++) len += src[pos + i]! * 2 ** (8 * i);
          pos += bytes;
        }
        len += 1;
        if (pos + len > src.length || o + len > length) throw new SnappyFormatError("literal past the end");
        // Short literals byte by byte: a subarray per literal costs more than the copy.
        if (len < 32) for (let i = 0; i < len; i++) out[o + i] = src[pos + i]!;
        else out.set(src.subarray(pos, pos + len), o);
        pos += len;
        o += len;
        continue;
      }
      case 1:
        if (pos + 1 > src.length) throw new SnappyFormatError("copy past the end");
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | src[pos++]!;
        break;
      case 2:
        if (pos + 2 > src.length) throw new SnappyFormatError("copy past the end");
        len = (tag >>> 2) + 1;
        offset = src[pos]! | (src[pos + 1]! << 8);
        pos += 2;
        break;
      default:
        if (pos + 4 > src.length) throw new SnappyFormatError("copy past the end");
        len = (tag >>> 2) + 1;
        offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16) | (src[pos + 3]! << 24)) >>> 0;
        pos += 4;
    }
    if (offset === 0 || offset > o || o + len > length) throw new SnappyFormatError("bad copy");
    // Byte by byte: a copy may overlap the bytes it writes (offset < len repeats a pattern).
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== length) throw new SnappyFormatError(`uncompressed ${o} bytes, ${length} announced`);
  return out;
}
