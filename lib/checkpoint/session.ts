import { ErrorCodes, StreamingError } from "../../errors.js";
import type { DStreamGraph } from "../dstream-graph.js";
import type { BatchLog, BatchPlan } from "../scheduler/batch-log.js";
import type { Time } from "../time.js";

/** A batch that was planned but not committed before a crash: re-run with exactly this input. */
export interface PendingBatch {
  time: Time;
  plan: BatchPlan;
}

/**
 * A context's binding to its checkpoint directory: opened (and checked against the graph) by
 * getOrCreate or start, written by the scheduler through `log`, closed by stop.
 */
export interface CheckpointSession {
  readonly log: BatchLog;
  /** True when the directory held a checkpoint of this graph. */
  readonly recovered: boolean;
  /** The zero time of the checkpoint, when recovered. */
  readonly zeroTime: Time | undefined;
  /** The last committed batch time, when recovered. */
  readonly lastCommittedTime: Time | undefined;
  /**
   * Called after the graph has started: restores every stateful operator and input, and returns
   * the batches to re-run, in time order.
   */
  restore(): Promise<PendingBatch[]>;
  close(): Promise<void>;
}

/** Opens the checkpoint in `dir` for `graph`; fails before anything runs if the graph differs. */
export async function openCheckpointSession(dir: string, _graph: DStreamGraph): Promise<CheckpointSession> {
  throw new StreamingError(ErrorCodes.STORAGE_IO, `Checkpoint directory ${dir}: checkpoint storage is not available in this build`);
}
