import type { Time } from "../time.js";

/** The input of one batch: per input stream (by streamId), the plan it returned. */
export interface BatchPlan {
  inputs: Record<number, unknown>;
  /** Per stateful operator (by operator id) that decides something at plan time, its decision. */
  operators?: Record<string, unknown>;
}

/** What a batch's commit writes: per stateful operator (by operator id), its delta. */
export interface BatchCommit {
  deltas: Record<string, unknown>;
  /**
   * Per stateful operator that a window reads back from (by operator id), its output records of
   * the batch: after a restart the window finds them instead of recomputing state twice.
   */
  outputs?: Record<string, unknown[]>;
}

/**
 * The scheduler's seam to durability. Without a checkpoint directory it keeps nothing; with one,
 * recovery/ writes the batch record before the batch runs and the commit as one atomic synced write.
 */
export interface BatchLog {
  /** Makes batch `time`'s plan durable; resolves before the batch runs. */
  writePlan(time: Time, plan: BatchPlan): Promise<void>;
  /** Commits batch `time`: deltas and the commit marker in one atomic durable write. */
  writeCommit(time: Time, commit: BatchCommit): Promise<void>;
  /**
   * In one atomic durable write, commits `commits` (ascending) and records the plans of the next
   * batches: a catch-up after downtime pays one fsync per group of batches.
   */
  writeBatches(commits: readonly { time: Time; commit: BatchCommit }[], plans: readonly { time: Time; plan: BatchPlan }[]): Promise<void>;
  /** After the commit of `time`: removes what no retained batch, window or replay needs. */
  clean(time: Time): Promise<void>;
}

/** The BatchLog of a context without a checkpoint directory: nothing is kept. */
export const memoryBatchLog: BatchLog = {
  writePlan: async () => undefined,
  writeCommit: async () => undefined,
  writeBatches: async () => undefined,
  clean: async () => undefined,
};
