/** Fixed-width field encoders for {@link ./keys.ts}: big-endian, so byte order is numeric order. */

const TWO_32 = 2 ** 32;

/** An unsigned 32-bit big-endian field. */
export function u32(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n >= TWO_32) {
    throw new RangeError(`${what} must be an integer in [0, 2^32), got ${String(n)}`);
  }
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** An unsigned 64-bit big-endian field holding a safe integer (times reach ~2^41 ms, seqs less). */
export function u64(n: number, what: string): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${String(n)}`);
  }
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(n / TWO_32), 0);
  b.writeUInt32BE(n % TWO_32, 4);
  return b;
}

/** Reads a {@link u32} field. */
export function readU32(b: Buffer, at: number): number {
  return b.readUInt32BE(at);
}

/** Reads a {@link u64} field. Values above 2^53 lose precision; this layout never writes them. */
export function readU64(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * TWO_32 + b.readUInt32BE(at + 4);
}

/** A string id followed by its 0x00 terminator; ids must be non-empty and free of NUL. */
export function idBytes(id: string, what: string): Buffer {
  if (typeof id !== "string" || id.length === 0 || id.includes("\0")) {
    throw new TypeError(`${what} must be a non-empty string without NUL characters, got ${JSON.stringify(id)}`);
  }
  return Buffer.from(`${id}\0`, "utf8");
}
