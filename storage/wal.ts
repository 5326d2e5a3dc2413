/**
 * The write-ahead log of received blocks. One value per block (records packed together, their
 * count and the source offset, so block and offset are atomic together), never one key per record.
 * Sequence numbers are per receiver, dense and increasing from 0, and survive a restart.
 *
 * Group commit: appends that arrive while a write is in flight (or in the same tick) go into the
 * next write together, one fsync for all. Groups are written one at a time, in seq order, so the
 * durable blocks of a receiver are always a prefix of the seqs handed out: a crash leaves no hole.
 */
import { encodeValue } from "./codec.js";
import { closedError } from "./closed-error.js";
import { decodeKey, walHeadKey, walKey, walRange } from "./keys.js";
import type { KvOp, KvStore } from "./kv.js";
import { decodeBlock, encodeBlock, type WalBlock } from "./wal-block.js";
import { loadHeads, type WalHead } from "./wal-heads.js";

export type { WalBlock } from "./wal-block.js";
export type { WalHead } from "./wal-heads.js";

/** Options of {@link Wal.append}. */
export interface AppendOptions {
  /** The source offset to store with the block (e.g. a file position or a Kafka offset). */
  offset?: unknown;
  /** Resolve only once the block is on disk; default true. */
  sync?: boolean;
}

interface Pending {
  receiverId: number;
  seq: number;
  offset: unknown;
  op: KvOp;
  sync: boolean;
  resolve: (r: { seq: number }) => void;
  reject: (err: unknown) => void;
}

// A group stops growing at this many bytes, so one write never holds an unbounded batch.
const MAX_GROUP_BYTES = 8 << 20;

/** The write-ahead log over a {@link KvStore}. Open with {@link Wal.open}. */
export class Wal {
  readonly #kv: KvStore;
  /** Newest durable block per receiver. */
  readonly #heads: Map<number, WalHead>;
  /** Next seq to hand out per receiver (ahead of #heads while writes are pending). */
  readonly #next = new Map<number, number>();
  #pending: Pending[] = [];
  #writing: Promise<void> | undefined;
  #scheduled = false;
  #failure: unknown;
  #closed = false;
  /** Number of writes issued, for tests and benchmarks of group commit. */
  writes = 0;

  private constructor(kv: KvStore, heads: Map<number, WalHead>) {
    this.#kv = kv;
    this.#heads = heads;
    for (const [id, h] of heads) this.#next.set(id, h.seq + 1);
  }

  /** Opens the log stored in `kv`, restoring each receiver's newest seq and offset. */
  static async open(kv: KvStore): Promise<Wal> {
    return new Wal(kv, await loadHeads(kv));
  }

  /**
   * Appends one block; resolves with its seq once it is durable (with `sync`, on disk). Seqs are
   * handed out in call order. After a failed write the log refuses further appends with that
   * error: reopen the storage to continue from what is durable.
   */
  append(receiverId: number, records: readonly unknown[], options: AppendOptions = {}): Promise<{ seq: number }> {
    if (!Array.isArray(records)) return Promise.reject(new TypeError(`records must be an array, got ${typeof records}`));
    if (this.#closed) return Promise.reject(closedError("WAL"));
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    let key: Buffer;
    let value: Buffer;
    const seq = this.#next.get(receiverId) ?? 0;
    try {
      key = walKey(receiverId, seq);
      value = encodeBlock(records, options.offset);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#next.set(receiverId, seq + 1);
    return new Promise((resolve, reject) => {
      const op: KvOp = { type: "put", key, value };
      this.#pending.push({ receiverId, seq, offset: options.offset, op, sync: options.sync ?? true, resolve, reject });
      this.#kick();
    });
  }

  /** The newest durable block of a receiver (kept across cleanup and restarts), or undefined. */
  async lastBlock(receiverId: number): Promise<WalHead | undefined> {
    const h = this.#heads.get(receiverId);
    return h === undefined ? undefined : { ...h };
  }

  /** Receivers that have a durable block (or had one before cleanup), ascending. */
  async receivers(): Promise<number[]> {
    return [...this.#heads.keys()].sort((a, b) => a - b);
  }

  /** The stored blocks with `fromSeq <= seq < toSeqExclusive`, ascending; deleted ones are absent. */
  async read(receiverId: number, fromSeq: number, toSeqExclusive: number): Promise<WalBlock[]> {
    if (toSeqExclusive <= fromSeq) return [];
    const out: WalBlock[] = [];
    for await (const [k, v] of this.#kv.iterate(walRange(receiverId, fromSeq, toSeqExclusive))) {
      const d = decodeKey(k);
      if (d.space === "wal") out.push(decodeBlock(k, d.seq, v));
    }
    return out;
  }

  /** Deletes a receiver's blocks with `seq < below`, in one write. */
  async deleteBelow(receiverId: number, below: number): Promise<void> {
    const ops = await this.deleteOps(receiverId, below);
    if (ops.length > 0) await this.#kv.write(ops, { sync: false });
  }

  /**
   * The ops that delete a receiver's blocks below `below`, for a caller that puts them in one
   * atomic write with other records. If they delete the newest durable block, a head record
   * keeps its seq and offset, so numbering and `lastBlock` survive a restart.
   */
  async deleteOps(receiverId: number, below: number): Promise<KvOp[]> {
    const ops: KvOp[] = [];
    for await (const key of this.#kv.keys(walRange(receiverId, 0, below))) ops.push({ type: "del", key });
    const head = this.#heads.get(receiverId);
    if (head !== undefined && head.seq < below && ops.length > 0) {
      ops.push({ type: "put", key: walHeadKey(receiverId), value: encodeValue([head.seq, head.offset]) });
    }
    return ops;
  }

  /** Waits for pending appends to be written, then refuses new ones. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#writing !== undefined || this.#scheduled) await (this.#writing ?? Promise.resolve());
  }

  #kick(): void {
    if (this.#writing !== undefined || this.#scheduled) return;
    this.#scheduled = true;
    // A microtask, not a timer: appends made in the same synchronous run join this group.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#writing = this.#flush().finally(() => {
        this.#writing = undefined;
        // Appends that arrived after the last loop check but before this callback.
        if (this.#pending.length > 0 && this.#failure === undefined) this.#kick();
      });
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0 && this.#failure === undefined) {
      const group = this.#takeGroup();
      try {
        this.writes++;
        await this.#kv.write(
          group.map((p) => p.op),
          { sync: group.some((p) => p.sync) },
        );
      } catch (err) {
        // Seqs after this group were handed out already; the log cannot go on with a hole in it.
        this.#failure = err;
        for (const p of [...group, ...this.#pending]) p.reject(err);
        this.#pending = [];
        break;
      }
      for (const p of group) this.#heads.set(p.receiverId, { seq: p.seq, offset: p.offset });
      for (const p of group) p.resolve({ seq: p.seq });
    }
  }

  #takeGroup(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#pending.length && (n === 0 || bytes < MAX_GROUP_BYTES)) {
      const op = this.#pending[n]!.op;
      bytes += op.type === "put" ? op.value.length : 0;
      n++;
    }
    return this.#pending.splice(0, n);
  }
}
