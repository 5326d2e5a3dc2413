/**
 * Errors raised by dstream. Operational failures are {@link StreamingError}s with a stable uppercase
 * `code` and, where there is one, the underlying `cause`. Programmer mistakes (a wrong argument) are
 * plain `TypeError`/`RangeError` with a message saying what was expected.
 */

const BRAND = Symbol.for("dstream.StreamingError");

/** Every code dstream uses; the values are stable across versions. */
export const ErrorCodes = {
  /** An operation needs a context in another state (e.g. adding an operator after `start()`). */
  CONTEXT_STATE: "DSTREAM_CONTEXT_STATE",
  /** A second context was started while one is active in this process. */
  CONTEXT_ACTIVE: "DSTREAM_CONTEXT_ACTIVE",
  /** The graph is not valid to start (no output operation, bad window, missing checkpoint dir). */
  GRAPH_INVALID: "DSTREAM_GRAPH_INVALID",
  /** A stream was asked for a batch it has no data for (e.g. union over a missing RDD). */
  GRAPH_MISSING_RDD: "DSTREAM_GRAPH_MISSING_RDD",
  /** A stateful operator needs a checkpoint directory and none was set. */
  CHECKPOINT_REQUIRED: "DSTREAM_CHECKPOINT_REQUIRED",
  /** The checkpoint on disk was written by a different graph. */
  CHECKPOINT_MISMATCH: "DSTREAM_CHECKPOINT_MISMATCH",
  /** Another process holds the checkpoint directory. */
  STORAGE_LOCKED: "DSTREAM_STORAGE_LOCKED",
  /** Reading or writing storage failed. */
  STORAGE_IO: "DSTREAM_STORAGE_IO",
  /** A stored record failed its CRC or has an unknown format version. */
  STORAGE_CORRUPT: "DSTREAM_STORAGE_CORRUPT",
  /** The disk is full. */
  STORAGE_FULL: "DSTREAM_STORAGE_FULL",
  /** Storage was used after `close()`. */
  STORAGE_CLOSED: "DSTREAM_STORAGE_CLOSED",
  /** A batch failed: an output operation or a function it ran threw. */
  JOB_FAILED: "DSTREAM_JOB_FAILED",
  /** `State.get()` on a missing state, or `update`/`remove` on a timing-out state. */
  STATE_INVALID: "DSTREAM_STATE_INVALID",
  /** A receiver failed and could not be restarted. */
  RECEIVER_FAILED: "DSTREAM_RECEIVER_FAILED",
  /** A receiver was used outside its life cycle (e.g. `storeMany` after stop). */
  RECEIVER_STOPPED: "DSTREAM_RECEIVER_STOPPED",
  /** A receiver stores with `store` far beyond its rate limit without awaiting it (reported to listeners, not thrown). */
  RECEIVER_OVERFLOW: "DSTREAM_RECEIVER_OVERFLOW",
  /** A SQL query over the registered batch tables failed. */
  SQL_FAILED: "DSTREAM_SQL_FAILED",
  /** A source no longer holds the offsets a batch must read (e.g. removed by retention). */
  SOURCE_OFFSET_LOST: "DSTREAM_SOURCE_OFFSET_LOST",
  /** A source could not be reached or read. */
  SOURCE_UNAVAILABLE: "DSTREAM_SOURCE_UNAVAILABLE",
  /** A sink could not write a batch (the batch fails and is re-run after a restart). */
  SINK_FAILED: "DSTREAM_SINK_FAILED",
  /**
   * A sink found the batch it was about to write already written by another job under the same
   * sink id (two jobs writing one table with one sink id): not retried; give one sink its own name.
   */
  SINK_CONFLICT: "DSTREAM_SINK_CONFLICT",
  /** The live UI could not listen on its host and port (every port tried was taken, or not allowed). */
  UI_UNAVAILABLE: "DSTREAM_UI_UNAVAILABLE",
  /** A group member tried to write a partition another member has written since (it lost the lease). */
  GROUP_FENCED: "DSTREAM_GROUP_FENCED",
  /** The job uses something a group cannot run across processes (the message names it and why). */
  GROUP_UNSUPPORTED: "DSTREAM_GROUP_UNSUPPORTED",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base of every operational error dstream raises. */
export class StreamingError extends Error {
  readonly code: string;
  declare readonly cause: unknown;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }

  /**
   * True when `err` is a StreamingError (from any copy of the package, hence the brand rather
   * than `instanceof`), optionally with the given code.
   */
  static is(err: unknown, code?: string): err is StreamingError {
    if (typeof err !== "object" || err === null) return false;
    if ((err as Record<symbol, unknown>)[BRAND] !== true) return false;
    return code === undefined || (err as StreamingError).code === code;
  }
}

/** The context is in the wrong state, or another context is active. */
export class ContextStateError extends StreamingError {}

/** The graph cannot run as built. */
export class GraphError extends StreamingError {}

/** Storage failed: locked, I/O, corrupt, full or closed. `key` names the record when known. */
export class StorageError extends StreamingError {
  readonly key: string | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; key?: string }) {
    super(code, message, options);
    this.key = options?.key;
  }
}

/** One difference between the graph on disk and the graph the setup function built. */
export interface GraphChange {
  kind: "added" | "removed" | "retyped" | "window-changed" | "batch-duration-changed" | "rewired";
  operator?: string;
  before?: string;
  after?: string;
}

/** The checkpoint belongs to a different graph; `changes` says what differs. */
export class CheckpointMismatchError extends StreamingError {
  readonly changes: GraphChange[];
  constructor(message: string, changes: GraphChange[]) {
    super(ErrorCodes.CHECKPOINT_MISMATCH, message);
    this.changes = changes;
  }
}

/** A batch failed. The batch stays uncommitted and is re-run after a restart. */
export class JobError extends StreamingError {
  readonly batchTime: number;
  readonly outputOperation: number | undefined;
  constructor(batchTime: number, outputOperation: number | undefined, description: string, cause: unknown) {
    const what = outputOperation === undefined ? ` in ${description}` : ` in output operation ${outputOperation} (${description})`;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(ErrorCodes.JOB_FAILED, `Batch ${batchTime} ms failed${what}: ${why}`, { cause });
    this.batchTime = batchTime;
    this.outputOperation = outputOperation;
  }
}

/** Misuse of `State` inside a mapWithState function (Spark's NoSuchElement/IllegalArgument). */
export class StateError extends StreamingError {}

/** A receiver failed or was used after it stopped. */
export class ReceiverError extends StreamingError {}

/** A query given to `ssc.sql` failed. */
export class SqlError extends StreamingError {}
