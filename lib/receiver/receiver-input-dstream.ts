import { RDD } from "../rdd/rdd.js";
import type { Time } from "../time.js";
import { InputDStream, type DStream } from "../dstream/internal.js";
import { blockStoreOf, type BlockStore } from "./block-store.js";
import { ReceivedBlocks, type BlockRange } from "./received-blocks.js";
import type { Receiver } from "./receiver.js";
import { ReceiverSupervisor, supervisorDeps } from "./supervisor.js";

/** Throws a TypeError saying what a receiver is unless `r` looks like one (before the stream registers). */
export function requireReceiver(r: unknown): void {
  const ok = typeof r === "object" && r !== null && ["onStart", "onStop", "attach", "store", "storeMany"].every((m) => typeof (r as Record<string, unknown>)[m] === "function");
  if (!ok) {
    const got = r === null ? "null" : typeof r !== "object" ? typeof r : `an object without ${["onStart", "onStop", "attach"].filter((m) => typeof (r as Record<string, unknown>)[m] !== "function").join(", ") || "Receiver's methods"}`;
    throw new TypeError(`receiverStream(receiver) expects a Receiver: an instance of a class that extends Receiver and implements onStart() and onStop(); got ${got}`);
  }
}

/**
 * What `ssc.receiverStream` returns: the records of one receiver, as a {@link ReceiverInputDStream}
 * (WAL) when the job runs alone, or, in a group, a stream over the group's JetStream receiver
 * stream (lib/group/group-receiver.ts).
 */
export interface ReceiverStream<T> extends DStream<T> {
  readonly receiver: Receiver<T>;
  /** Records stored by the receiver and not yet planned into a batch (alone) or not yet published (in a group). */
  readonly pendingRecords: number;
}

/** A receiver stream's batch plan: the range of the receiver's blocks the batch holds. */
export type ReceiverPlan = BlockRange;

/** Options of a ReceiverInputDStream beyond the receiver. */
export interface ReceiverStreamOptions {
  /** Where blocks are logged; default: the checkpoint session's WAL, or none (memory only). */
  blockStore?: BlockStore;
}

/**
 * The stream of one receiver (Spark's ReceiverInputDStream). Each batch takes the blocks cut since
 * the previous batch, one partition per block; blocks stay in memory until that batch commits and
 * are read back from the WAL only by recovery.
 */
export class ReceiverInputDStream<T> extends InputDStream<T, ReceiverPlan> implements ReceiverStream<T> {
  readonly receiver: Receiver<T>;
  private readonly supervisor: ReceiverSupervisor;
  private readonly blocks: ReceivedBlocks;
  private readonly explicitStore: BlockStore | undefined;
  /** Committed batches, oldest first: the WAL keeps their blocks while a window may need them. */
  private readonly committed: { time: Time; fromSeq: number }[] = [];

  constructor(ssc: DStream<T>["ssc"], receiver: Receiver<T>, options: ReceiverStreamOptions = {}) {
    requireReceiver(receiver);
    super(ssc);
    this.receiver = receiver;
    this.explicitStore = options.blockStore;
    this.blocks = new ReceivedBlocks(this.streamId);
    this.supervisor = new ReceiverSupervisor(receiver as Receiver<unknown>, this.streamId, this.blocks, supervisorDeps(ssc));
    receiver.attach(this.supervisor);
  }

  /** Records stored by the receiver and not yet planned into a batch (a block not yet cut counts). */
  get pendingRecords(): number {
    return this.supervisor.buffered + this.blocks.unplannedBlocks;
  }

  /**
   * Recovery: the plans of this stream found in the batch records (committed or not, time order).
   * Blocks past the last of them were stored but never planned: the next batch takes them.
   */
  override async restorePlans(plans: readonly { time: Time; plan: ReceiverPlan | undefined }[]): Promise<void> {
    // Called at all means recovered: with no plan, every block in the WAL is unplanned.
    this.blocks.restorePlannedUpTo(0);
    for (const { time, plan } of plans) {
      if (plan === undefined) continue;
      this.blocks.restorePlannedUpTo(plan.toSeq);
      // Batches inside the window are rebuilt from the WAL after a crash: keep their blocks.
      this.committed.push({ time, fromSeq: plan.fromSeq });
    }
  }

  /** The lowest WAL block a retained window, a pending batch or a future batch may read. */
  override walWatermark(): number | undefined {
    return this.blocks.watermark(this.committed[0]?.fromSeq);
  }

  override async startInput(): Promise<void> {
    // The offset must be back before onStart, so the receiver can resume from it.
    await this.blocks.open(this.store());
    await this.supervisor.start();
  }

  override async stopInput(graceful: boolean): Promise<void> {
    // Cut the buffer either way: with a WAL, those records then survive into the next run.
    await this.supervisor.stop("Stopped by StreamingContext", undefined, true, graceful);
    // The session closes after this: no append may still be running then.
    await this.blocks.flushed();
  }

  override hasPendingInput(): boolean {
    return this.pendingRecords > 0;
  }

  async plan(): Promise<ReceiverPlan> {
    this.supervisor.cut();
    return this.blocks.plan();
  }

  /**
   * The first catch-up batch takes the blocks that were in the WAL when the input opened and no
   * batch planned; later ones take nothing. Blocks stored since the restart (and what store()
   * buffers) wait for the batches at or after the restart time.
   */
  override async planCatchUp(_time: Time, first: boolean): Promise<ReceiverPlan> {
    return first ? this.blocks.plan(this.blocks.storedBeforeOpen) : this.blocks.planNothing();
  }

  async materialize(_time: Time, plan: ReceiverPlan): Promise<RDD<T>> {
    if (plan.toSeq <= plan.fromSeq) return RDD.empty<T>();
    // Recovery rebuilds windows before the input starts: the WAL must be bound already.
    this.blocks.bind(this.store());
    return RDD.fromPartitions((await this.blocks.read(plan.fromSeq, plan.toSeq)) as T[][]);
  }

  recordCount(plan: ReceiverPlan): number {
    return plan.count;
  }

  override async batchCommitted(time: Time, plan: ReceiverPlan): Promise<void> {
    this.blocks.release(plan.fromSeq, plan.toSeq);
    this.committed.push({ time, fromSeq: plan.fromSeq });
    // Older batches are outside every window: recovery will not rebuild them from the WAL.
    const keepAfter = time - (this.rememberDuration ?? this.slideDuration);
    while (this.committed.length > 0 && (this.committed[0] as { time: Time }).time <= keepAfter) this.committed.shift();
  }

  private store(): BlockStore | undefined {
    return this.explicitStore ?? blockStoreOf(this.ssc.checkpointSession);
  }
}
