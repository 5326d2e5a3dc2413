/**
 * The durable side of received blocks: what a receiver input needs from the write-ahead log
 * (`storage/wal.ts`). One value per block; sequence numbers are per receiver, dense, from 0, in
 * append order.
 */
export interface BlockStore {
  /**
   * Appends one block (its records and the source offset, in one atomic write). With `sync` the
   * promise resolves once the write is on disk; several synced appends may share one fsync.
   */
  append(receiverId: number, records: readonly unknown[], options: { offset?: unknown; sync: boolean }): Promise<{ seq: number }>;
  /** The blocks with `fromSeq <= seq < toSeqExclusive`, in order. */
  read(receiverId: number, fromSeq: number, toSeqExclusive: number): Promise<StoredBlock[]>;
  /** The last block appended for `receiverId`, if any. */
  lastBlock(receiverId: number): Promise<{ seq: number; offset?: unknown } | undefined>;
  /** Removes the blocks with `seq < seq`; `lastBlock` still answers for a deleted last block. */
  deleteBelow(receiverId: number, seq: number): Promise<void>;
}

/** One block as read back from a BlockStore. */
export interface StoredBlock {
  seq: number;
  records: unknown[];
  offset?: unknown;
}

/**
 * The context's write-ahead log as a BlockStore, when its checkpoint session exposes one (`wal`),
 * else undefined: without a checkpoint directory blocks live in memory only, as in Spark.
 */
export function blockStoreOf(session: unknown): BlockStore | undefined {
  const wal = (session as { wal?: unknown } | undefined)?.wal;
  if (typeof wal !== "object" || wal === null) return undefined;
  const w = wal as Partial<BlockStore>;
  if (typeof w.append !== "function" || typeof w.read !== "function" || typeof w.lastBlock !== "function" || typeof w.deleteBelow !== "function") return undefined;
  return w as BlockStore;
}
