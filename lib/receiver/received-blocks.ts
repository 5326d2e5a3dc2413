import { ErrorCodes, StorageError, StreamingError } from "../../errors.js";
import type { BlockStore } from "./block-store.js";

/** A batch's share of one receiver's blocks: the range `[fromSeq, toSeq)` and its record count. */
export interface BlockRange {
  streamId: number;
  fromSeq: number;
  toSeq: number;
  count: number;
}

interface Block {
  records: unknown[];
  /** Settles once the block is in the store (at once without one). */
  written: Promise<void>;
}

/**
 * The blocks of one receiver (Spark's ReceivedBlockTracker and WAL-backed block handler, for one
 * stream): sequence numbers are assigned when a block is cut, the block stays in memory until the
 * batch that planned it commits, and with a store every block is appended to the WAL in order.
 */
export class ReceivedBlocks {
  private readonly blocks = new Map<number, Block>();
  private nextSeq = 0;
  private plannedUpTo = 0;
  /** Blocks below this were in the WAL when this run opened it (stored by an earlier process). */
  private openedAt = 0;
  private restoredPlannedUpTo: number | undefined;
  /** The offset of the last storeMany issued: every later block carries it, so the WAL's last block always names it. */
  private carriedOffset: unknown;
  private durableOffset: unknown;
  private durableOffsetSeq = -1;
  private failure: unknown;
  private store: BlockStore | undefined;

  constructor(readonly streamId: number) {}

  /** Binds the store (the WAL) and resumes its numbering and offset; before the receiver starts. */
  async open(store: BlockStore | undefined): Promise<void> {
    this.bind(store);
    const last = await store?.lastBlock(this.streamId);
    if (last === undefined) return;
    this.nextSeq = this.openedAt = last.seq + 1;
    this.carriedOffset = this.durableOffset = last.offset;
    this.durableOffsetSeq = last.seq;
    // Blocks in the WAL that no batch record names were stored but never planned: the next batch
    // takes them. Without that information (no recovery hook ran) they count as planned.
    this.plannedUpTo = Math.min(this.restoredPlannedUpTo ?? this.nextSeq, this.nextSeq);
  }

  /** Sets the store to read blocks back from, before `open` (recovery materializes early). */
  bind(store: BlockStore | undefined): void {
    this.store ??= store;
  }

  /** Recovery: every block below `seq` belongs to a batch record already. */
  restorePlannedUpTo(seq: number): void {
    this.restoredPlannedUpTo = Math.max(this.restoredPlannedUpTo ?? 0, seq);
  }

  /** The offset of the last block known to be durable (in memory without a store). */
  get lastOffset(): unknown {
    return this.durableOffset;
  }

  /** Records in blocks not yet planned into a batch. */
  get unplannedBlocks(): number {
    return this.nextSeq - this.plannedUpTo;
  }

  /**
   * Adds a block; resolves when it is durable. `offset` given: the block and the offset go in one
   * atomic write. `sync`: wait for the disk (storeMany); store()'s blocks need not.
   */
  add(records: unknown[], options: { offset?: unknown; hasOffset: boolean; sync: boolean }): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seq = this.nextSeq++;
    if (options.hasOffset) this.carriedOffset = options.offset;
    const offset = this.carriedOffset;
    const written = this.write(seq, records, offset, options.sync);
    // store()'s callers don't await their block; the failure reaches the context through plan().
    written.catch(() => undefined);
    this.blocks.set(seq, { records, written });
    return written;
  }

  private async write(seq: number, records: unknown[], offset: unknown, sync: boolean): Promise<void> {
    if (this.store !== undefined) {
      let got: { seq: number };
      try {
        got = await this.store.append(this.streamId, records, offset === undefined ? { sync } : { offset, sync });
      } catch (err) {
        // A block we could not log can't be planned: the next plan fails and the context stops,
        // keeping everything acknowledged before it. The storage's own code (a full disk is
        // STORAGE_FULL) is kept: it tells the operator what to do.
        const code = StreamingError.is(err) && err.code.startsWith("DSTREAM_STORAGE_") ? err.code : ErrorCodes.STORAGE_IO;
        const why = code === ErrorCodes.STORAGE_FULL ? ": the disk is full; free space and restart the job" : " failed";
        this.failure ??= new StorageError(code, `Receiver stream ${this.streamId}: writing block ${seq} to the write-ahead log${why}`, { cause: err });
        throw this.failure;
      }
      if (got.seq !== seq) {
        this.failure ??= new StorageError(ErrorCodes.STORAGE_CORRUPT, `Receiver stream ${this.streamId}: the write-ahead log numbered block ${seq} as ${got.seq}; was the checkpoint directory shared with another job?`);
        throw this.failure;
      }
    }
    if (seq > this.durableOffsetSeq) {
      this.durableOffsetSeq = seq;
      this.durableOffset = offset;
    }
  }

  /** The sequence number after the last block an earlier process stored (0 without a WAL). */
  get storedBeforeOpen(): number {
    return this.openedAt;
  }

  /** An empty range at the planning position: a batch that takes no block. */
  planNothing(): BlockRange {
    return { streamId: this.streamId, fromSeq: this.plannedUpTo, toSeq: this.plannedUpTo, count: 0 };
  }

  /**
   * Assigns every block cut so far (below `upTo`, when given) to a batch. Waits until they are in
   * the WAL: the batch record naming them is written next, and must never name a block that could
   * be missing after a crash.
   */
  async plan(upTo?: number): Promise<BlockRange> {
    const fromSeq = this.plannedUpTo;
    const toSeq = Math.max(fromSeq, Math.min(upTo ?? this.nextSeq, this.nextSeq));
    let count = 0;
    for (let s = fromSeq; s < toSeq; s++) {
      const b = this.blocks.get(s);
      if (b === undefined) continue;
      await b.written;
      count += b.records.length;
    }
    if (this.failure !== undefined) throw this.failure;
    // Blocks left in the WAL by a previous process are not in memory: count them from the log.
    if (this.store !== undefined && fromSeq < toSeq && !this.blocks.has(fromSeq)) count = (await this.read(fromSeq, toSeq)).reduce((n, b) => n + b.length, 0);
    this.plannedUpTo = toSeq;
    return { streamId: this.streamId, fromSeq, toSeq, count };
  }

  /** The records of each block in `[fromSeq, toSeq)`: from memory, or read back from the WAL. */
  async read(fromSeq: number, toSeq: number): Promise<unknown[][]> {
    const out: unknown[][] = [];
    let missing = false;
    for (let s = fromSeq; s < toSeq; s++) {
      const b = this.blocks.get(s);
      if (b === undefined) {
        missing = true;
        break;
      }
      out.push(b.records);
    }
    if (!missing) return out;
    if (this.store === undefined) {
      throw new StorageError(ErrorCodes.STORAGE_IO, `Receiver stream ${this.streamId}: blocks ${fromSeq}..${toSeq - 1} are no longer in memory and there is no write-ahead log; set a checkpoint directory to make received data recoverable`);
    }
    const stored = await this.store.read(this.streamId, fromSeq, toSeq);
    if (stored.length !== toSeq - fromSeq) {
      throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `Receiver stream ${this.streamId}: the write-ahead log holds ${stored.length} of blocks ${fromSeq}..${toSeq - 1}, which a batch record names`);
    }
    return stored.map((b) => b.records);
  }

  /** The batch that planned `[fromSeq, toSeq)` committed: its blocks leave memory. */
  release(fromSeq: number, toSeq: number): void {
    for (let s = fromSeq; s < toSeq; s++) this.blocks.delete(s);
  }

  /**
   * The lowest block still needed: `oldestRetained` (a batch a window may rebuild), a block still
   * in memory (planned, not committed) or the first block not yet planned. The WAL keeps the last
   * block's seq and offset even when its block is deleted, so numbering and the offset survive.
   */
  watermark(oldestRetained: number | undefined): number {
    return Math.min(oldestRetained ?? this.plannedUpTo, this.plannedUpTo, this.oldestInMemory());
  }

  private oldestInMemory(): number {
    let min = this.nextSeq;
    for (const s of this.blocks.keys()) if (s < min) min = s;
    return min;
  }

  /** Settles when every block handed to the store so far is written (before the store closes). */
  async flushed(): Promise<void> {
    await Promise.allSettled([...this.blocks.values()].map((b) => b.written));
  }
}
