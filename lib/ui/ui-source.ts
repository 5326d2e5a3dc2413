import type { CheckpointHistory } from "../checkpoint/checkpoint-history.js";
import type { GroupUiView } from "./group-panel.js";
import type { StreamingProgress } from "./streaming-progress.js";

/** One input stream as the UI shows it. */
export interface InputView {
  streamId: number;
  name: string;
  /** "receiver", or the input's class (QueueInputDStream, FileInputDStream, …). */
  kind: string;
  /** The configured ceiling in records/s, if any. */
  maxRate: number | undefined;
  /** The bound in force now (backpressure's estimate, or maxRate); undefined while unbounded. */
  rateLimit: number | undefined;
  /** Receivers: the offset stored with the last durable block. */
  lastStoredOffset?: unknown;
  /** Receivers: records stored and not yet in a batch. */
  pendingRecords?: number;
  /** Partitioned direct inputs (jetStream): one row per partition. */
  partitions?: PartitionUiStatus[];
}

/** One partition of a direct input (a JetStream partition) as the UI shows it. */
export interface PartitionUiStatus {
  partition: number;
  /** The last sequence assigned to a batch: the next batch reads after it. */
  offset: number;
  /** Records the last planned batch took from the partition (undefined before the first plan). */
  lastBatchRecords: number | undefined;
  /** Messages left after `offset` when the last batch was planned. */
  lag: number | undefined;
  /** Records/s the partition may take now (its share under backpressure, or maxRatePerPartition); undefined while unbounded. */
  rateLimit: number | undefined;
}

/**
 * What an input other than a receiver may report to the UI by having a `uiStatus()` method (the
 * JetStream direct stream: its per-partition offsets). Receivers report through the receiver.
 */
export interface InputUiStatus {
  /** The position the next batch reads from (e.g. `{ "0": 1042, "1": 998 }` per partition). */
  offsets?: unknown;
  /** Records available and not yet in a batch, if the source can tell. */
  pendingRecords?: number;
  /** Per partition: offset, last batch's records, lag, rate limit. */
  partitions?: PartitionUiStatus[];
}

/** One stateful operator as the UI shows it. */
export interface StateOperatorView {
  operatorId: string;
  kind: string;
  keys: number;
}

/**
 * Everything the UI reads from a running context, behind one seam: the REST handlers are pure
 * functions of it, and tests can build one without a context.
 */
export interface UiSource {
  readonly appName: string;
  readonly batchDuration: number;
  now(): number;
  contextState(): "initialized" | "active" | "stopped";
  readonly progress: StreamingProgress;
  inputs(): InputView[];
  stateOperators(): StateOperatorView[];
  /** Output operations registered (an active batch's total). */
  numOutputOperations(): number;
  checkpointDir(): string | undefined;
  history(): CheckpointHistory | undefined;
  backpressure(): boolean;
  /** In a group: the member's view of it (cached; undefined when the job runs alone). */
  group?(): GroupUiView | undefined;
}
