import type { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream } from "./internal.js";

/**
 * A stream fed from outside the graph. Each batch goes through two steps the scheduler drives:
 * `plan(time)` decides which input belongs to the batch and returns a plain, serializable record of
 * it (stored in the batch record before the batch runs, and replayed by recovery); `materialize`
 * turns a plan into the batch's RDD, for fresh and recovered batches alike.
 */
export abstract class InputDStream<T, P = unknown> extends DStream<T> {
  /** The input's id within the context (Spark's streamId), in creation order. */
  readonly streamId: number;

  constructor(ssc: DStream<T>["ssc"]) {
    super(ssc);
    this.streamId = ssc.graph.addInputStream(this);
  }

  get slideDuration(): Duration {
    return this.ssc.batchDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  /**
   * Inputs have no RDD to compute: the scheduler materializes each batch from its plan and hands it
   * over with `provideRdd`, so any other time has none.
   */
  compute(): RDD<T> | undefined {
    return undefined;
  }

  /** Assigns the input that arrived since the last batch to batch `time`. */
  abstract plan(time: Time): P | Promise<P>;

  /**
   * Plans batch `time` of a catch-up: a batch time that passed while the job was down, run at
   * restart. `first` is the earliest of them: it takes the input that arrived before the restart
   * and no batch planned (WAL blocks stored but never planned, files found at start); the others
   * take nothing, so input that arrives after the restart goes to batches at or after the restart
   * time. The default plans as usual (`plan(time)`); inputs that receive live data override it.
   */
  planCatchUp(time: Time, _first: boolean): P | Promise<P> {
    return this.plan(time);
  }

  /** Builds batch `time`'s RDD from its plan. */
  abstract materialize(time: Time, plan: P): RDD<T> | Promise<RDD<T>>;

  /** The number of records a plan holds, for BatchInfo.numRecords. */
  abstract recordCount(plan: P): number;

  /** Starts receiving (receivers, watchers). Called once by `start()`. */
  async startInput(): Promise<void> {}

  /** Stops receiving. With `graceful`, everything already received is still planned into batches. */
  async stopInput(_graceful: boolean): Promise<void> {}

  /** True while received data waits to be planned into a batch (graceful stop drains it). */
  hasPendingInput(): boolean {
    return false;
  }

  /**
   * Recovery hands every stored batch plan of this input (committed and pending, in time order)
   * before the job resumes, so the input can restore its position (next block, files seen).
   */
  async restorePlans(_plans: readonly { time: Time; plan: P | undefined }[]): Promise<void> {}

  /**
   * The lowest write-ahead-log block sequence of this input that a retained or future batch may
   * still need; blocks below it may be deleted. Undefined for inputs without a WAL.
   */
  walWatermark(): number | undefined {
    return undefined;
  }

  /** Batch `time` is committed: the input may release what only that batch needed. */
  async batchCommitted(_time: Time, _plan: P): Promise<void> {}
}
