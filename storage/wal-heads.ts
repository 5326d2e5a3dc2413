/** Restores each receiver's newest WAL block (seq and offset) when the log is opened. */
import { decodeValue } from "./codec.js";
import { decodeKey, spaceRange, walRange } from "./keys.js";
import type { KvStore } from "./kv.js";
import { decodeBlock } from "./wal-block.js";
import { ErrorCodes, StorageError } from "../errors.js";
import { printKey } from "./keys.js";

/** A receiver's newest durable block. */
export interface WalHead {
  seq: number;
  offset?: unknown;
}

async function first<T>(items: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of items) return item;
  return undefined;
}

/**
 * Per receiver, the newer of its newest stored block and its head record (written when cleanup
 * deleted every block). Skips from receiver to receiver, reading one block each, not the log.
 */
export async function loadHeads(kv: KvStore): Promise<Map<number, WalHead>> {
  const heads = new Map<number, WalHead>();
  const wal = spaceRange("wal");
  let from = wal.gte;
  for (;;) {
    const key = await first(kv.keys({ gte: from, lt: wal.lt, limit: 1 }));
    if (key === undefined) break;
    const d = decodeKey(key);
    if (d.space !== "wal") throw malformed(key);
    const entry = await first(kv.iterate({ ...walRange(d.receiverId), reverse: true, limit: 1 }));
    if (entry !== undefined) {
      const last = decodeKey(entry[0]);
      if (last.space !== "wal") throw malformed(entry[0]);
      const block = decodeBlock(entry[0], last.seq, entry[1]);
      heads.set(d.receiverId, { seq: last.seq, offset: block.offset });
    }
    from = walRange(d.receiverId).lt;
  }
  for await (const [key, value] of kv.iterate(spaceRange("walhead"))) {
    const d = decodeKey(key);
    const v = decodeValue(key, value);
    if (d.space !== "walhead" || !Array.isArray(v) || typeof v[0] !== "number") throw malformed(key);
    const known = heads.get(d.receiverId);
    if (known === undefined || known.seq < v[0]) heads.set(d.receiverId, { seq: v[0], offset: v[1] });
  }
  return heads;
}

function malformed(key: Buffer): StorageError {
  const name = printKey(key);
  return new StorageError(ErrorCodes.STORAGE_CORRUPT, `WAL key ${name} is malformed.`, { key: name });
}
