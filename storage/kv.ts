/**
 * The key-value store every storage module writes through. Keys and values are bytes; keys sort
 * bytewise. Every write in the project goes through {@link KvStore.write}, one atomic batch per
 * call, which is what lets {@link ./fault-kv.ts} crash the engine at any write.
 */

/** One operation of an atomic write. */
export type KvOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

/** Bounds and order of an iteration, as LevelDB takes them. */
export interface KvRange {
  gte?: Buffer;
  gt?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
  reverse?: boolean;
  limit?: number;
}

/** Options of {@link KvStore.write}. */
export interface KvWriteOptions {
  /** Return only once the write is on disk (fsync); without it a power loss may drop it. */
  sync: boolean;
}

/** A sorted, atomic-batch key-value store. Errors are `StorageError`s. */
export interface KvStore {
  /** The value stored under `key`, or `undefined`. */
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Values of several keys at once, in order. */
  getMany?(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  /** Applies every op, or none of them, even if the process dies during the call. */
  write(ops: KvOp[], options: KvWriteOptions): Promise<void>;
  /** Entries in the range, in key order (or reverse), from a snapshot taken when it starts. */
  iterate(range: KvRange): AsyncIterable<[Buffer, Buffer]>;
  /** Keys in the range, without reading values (cheaper for deletions). */
  keys(range: KvRange): AsyncIterable<Buffer>;
  /** Closes the store; idempotent. Any later call fails with `STORAGE_CLOSED`. */
  close(): Promise<void>;
}

/** Collects an async iterable into an array (Node 20 lacks `Array.fromAsync`). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
