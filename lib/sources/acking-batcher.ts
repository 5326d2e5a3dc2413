import type { Receiver } from "../receiver/receiver.js";
import type { RedeliveryWindow } from "./redelivery-window.js";

/** One message as a reliable receiver hands it to the {@link AckingBatcher}. */
export interface Delivery<T, M> {
  /** "store": a new record; "duplicate": already in the WAL; "rejected": could not be decoded. */
  kind: "store" | "duplicate" | "rejected";
  /** The message's identity in the {@link RedeliveryWindow}. */
  key: string;
  /** Its delivery position on the current connection. */
  pos: number;
  /** The decoded record (kind "store"). */
  record?: T;
  /** What the broker needs to acknowledge it. */
  message: M;
  /**
   * The message's identity across connections and consumers (an AMQP message-id), when it has
   * one: in a group, the JetStream deduplication id of its record.
   */
  id?: string;
}

/**
 * Turns a receiver's deliveries into durable blocks and acknowledgements, one write at a time:
 * deliveries that arrive while a block is being written wait and form the next block, so the write
 * rate adapts to the arrival rate (one synced write for many messages, never one per message).
 * A block's offset carries the redelivery window; acknowledgements go out, in delivery order, only
 * after the block is durable. A crash at any point leaves each message either unacknowledged (the
 * broker delivers it again) or in the WAL with its identity in the stored window (dropped as a
 * duplicate when it comes back).
 */
export class AckingBatcher<T, M> {
  private pending: Delivery<T, M>[] = [];
  private writing: Promise<void> | undefined;
  /** Set before `drain` starts, cleared when it ends (synchronously, when nothing needs a write). */
  private draining = false;
  private closed = false;
  /** Records this batcher made durable. */
  stored = 0;
  /** Duplicates it dropped. */
  duplicates = 0;

  /**
   * `settle` acknowledges a durable batch (in delivery order); `failed` hears of a write that did
   * not happen (the receiver stopped, or the WAL failed): none of that batch is acknowledged.
   */
  constructor(
    private readonly receiver: Receiver<T>,
    private readonly window: RedeliveryWindow,
    private readonly settle: (batch: readonly Delivery<T, M>[]) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** Deliveries waiting for the write in flight. */
  get waiting(): number {
    return this.pending.length;
  }

  push(delivery: Delivery<T, M>): void {
    if (this.closed) return;
    this.pending.push(delivery);
    if (this.draining) return;
    this.draining = true;
    this.writing = this.drain();
  }

  /**
   * Takes no more deliveries and forgets those not yet written (unacknowledged: the broker delivers
   * them again). Resolves once the write in flight is over, so a new connection finds its
   * identities in the window.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = [];
    await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.closed) {
      const batch = this.pending;
      this.pending = [];
      const records: T[] = [];
      const ids: (string | undefined)[] = [];
      for (const d of batch) {
        if (d.kind !== "store") continue;
        records.push(d.record as T);
        ids.push(d.id);
      }
      try {
        const offset = this.window.snapshot(batch.filter((d) => d.kind !== "rejected"));
        if (records.length > 0) await this.receiver.storeMany(records, ids.some((id) => id !== undefined) ? { offset, ids } : { offset });
      } catch (err) {
        this.window.giveBack(batch.filter((d) => d.kind === "duplicate").map((d) => d.key));
        this.closed = true;
        this.pending = [];
        this.draining = false;
        this.failed(err);
        return;
      }
      this.stored += records.length;
      this.duplicates += batch.length - records.length - batch.filter((d) => d.kind === "rejected").length;
      // Durable: acknowledge even when closing (a closed channel just drops it; the identities
      // below then catch the redelivery).
      this.settle(batch);
      this.window.add(batch.filter((d) => d.kind !== "rejected"));
    }
    this.draining = false;
  }
}
