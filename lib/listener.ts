import type { CatchUpRange } from "./scheduler/catch-up.js";
import type { Time } from "./time.js";

export type { CatchUpRange } from "./scheduler/catch-up.js";

/** One output operation of one batch. */
export interface OutputOperationInfo {
  batchTime: Time;
  /** Position of the output operation in registration order, from 0. */
  id: number;
  name: string;
  description: string;
  startTime?: number;
  endTime?: number;
  duration?: number;
  failureReason?: string;
}

/** One input's share of a batch (Spark's StreamInputInfo). */
export interface StreamInputInfo {
  inputStreamId: number;
  numRecords: number;
}

/** One batch, as reported to listeners. Delays are in ms and never negative. */
export interface BatchInfo {
  batchTime: Time;
  numRecords: number;
  /** Per input stream (by streamId), its records in this batch. */
  streamIdToInputInfo?: Record<number, StreamInputInfo>;
  submissionTime: number;
  processingStartTime?: number;
  processingEndTime?: number;
  schedulingDelay?: number;
  processingDelay?: number;
  totalDelay?: number;
  outputOperationInfos: OutputOperationInfo[];
  /** One entry per event-time window operator that ran in the batch (`windowedReduceByKey`). */
  eventTime?: EventTimeInfo[];
}

/**
 * An event-time window operator in one batch (Structured Streaming's `eventTime` progress and
 * state operator metrics). Counts are of this batch; a re-run batch reports the same figures.
 */
export interface EventTimeInfo {
  /** The window operator's id (its `name()`, or its creation order). */
  operatorId: string;
  /** The watermark the batch used, in ms of event time; undefined before any record. */
  watermark: number | undefined;
  /** Records of the batch found late and sent to `lateRecords()`. */
  numLateRecords: number;
  /** (record, window) pairs dropped as late: Spark's `numRowsDroppedByWatermark`. */
  numRowsDroppedByWatermark: number;
  /** Windows (or sessions) held in state after the batch: Spark's `numRowsTotal`. */
  numRowsTotal: number;
  /** Results the batch emitted. */
  numOutputRows: number;
}

/** A receiver, as reported to listeners. */
export interface ReceiverInfo {
  streamId: number;
  name: string;
  active: boolean;
  lastErrorMessage?: string;
  lastError?: string;
  lastErrorTime?: number;
}

/** A file a `textFileStream` processed that changed afterwards (its change is not processed). */
export interface InputFileInfo {
  streamId: number;
  directory: string;
  name: string;
  /** Its size when its batch took it (undefined when only its name was recorded). */
  processedSize?: number | undefined;
  size: number;
  /** Context-clock time at which the change was seen. */
  time: number;
}

/** Callbacks for the life of a streaming context; every member is optional. */
export interface StreamingListener {
  onStreamingStarted?(e: { time: number }): void;
  onBatchSubmitted?(e: { batchInfo: BatchInfo }): void;
  onBatchStarted?(e: { batchInfo: BatchInfo }): void;
  onBatchCompleted?(e: { batchInfo: BatchInfo }): void;
  onOutputOperationStarted?(e: { outputOperationInfo: OutputOperationInfo }): void;
  onOutputOperationCompleted?(e: { outputOperationInfo: OutputOperationInfo }): void;
  onReceiverStarted?(e: { receiverInfo: ReceiverInfo }): void;
  onReceiverError?(e: { receiverInfo: ReceiverInfo }): void;
  onReceiverStopped?(e: { receiverInfo: ReceiverInfo }): void;
  /** A file a textFileStream already processed changed (appended, rewritten): the change is lost. */
  onInputFileChanged?(e: { fileInfo: InputFileInfo }): void;
  /** A restart is about to run the batch times that passed while the job was down (dstream's own event). */
  onCatchUpStarted?(e: CatchUpRange): void;
  /** ... and has committed them all, `durationMs` (wall-clock) later. */
  onCatchUpCompleted?(e: CatchUpRange & { durationMs: number }): void;
}

type EventName = keyof StreamingListener;
type EventOf<N extends EventName> = Parameters<NonNullable<StreamingListener[N]>>[0];

/**
 * Delivers events to listeners, synchronously and in order. A listener that throws is reported on
 * stderr and does not stop the others or the job (Spark's listener bus does the same).
 */
export class ListenerBus {
  private readonly listeners: StreamingListener[] = [];

  add(listener: StreamingListener): void {
    if (typeof listener !== "object" || listener === null) {
      throw new TypeError(`addStreamingListener expects an object with on… callbacks; got ${String(listener)}`);
    }
    this.listeners.push(listener);
  }

  remove(listener: StreamingListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  post<N extends EventName>(name: N, event: EventOf<N>): void {
    for (const listener of [...this.listeners]) {
      const fn = listener[name] as ((e: EventOf<N>) => void) | undefined;
      if (fn === undefined) continue;
      try {
        fn.call(listener, event);
      } catch (err) {
        console.error(`dstream: listener ${name} threw and was skipped:`, err);
      }
    }
  }
}
