import type { BatchInfo, EventTimeInfo, OutputOperationInfo, ReceiverInfo, StreamingListener } from "../listener.js";
import type { Time } from "../time.js";

/** Spark's `spark.streaming.ui.retainedBatches`: completed batches the UI keeps. */
export const RETAINED_BATCHES = 1000;

/** What the UI knows of one batch (Spark's BatchUIData). */
export interface BatchUiData {
  batchTime: Time;
  numRecords: number;
  /** Records per input stream (by streamId). */
  streamIdToNumRecords: Record<number, number>;
  submissionTime: number;
  processingStartTime?: number;
  processingEndTime?: number;
  /** By output operation id, in the order they ran. */
  outputOperations: Map<number, OutputOperationInfo>;
}

/** What changed, for live updates: a batch, or the receivers. */
export type ProgressChange = { kind: "batch"; batch: BatchUiData; completed: boolean } | { kind: "receiver"; info: ReceiverInfo } | { kind: "started" };

/**
 * Spark's StreamingJobProgressListener: keeps the waiting, running and (the newest
 * {@link RETAINED_BATCHES}) completed batches, the receivers, and running totals, for the REST API
 * and the page. A batch whose output operation failed never completes in dstream (the context
 * stops and the batch re-runs after a restart); it is listed with the completed ones, its failure
 * counted, as Spark lists a batch whose job failed.
 */
export class StreamingProgress implements StreamingListener {
  startTime: number | undefined;
  readonly waiting = new Map<Time, BatchUiData>();
  readonly running = new Map<Time, BatchUiData>();
  /** Oldest first. */
  readonly completed: BatchUiData[] = [];
  numTotalCompletedBatches = 0;
  numTotalReceivedRecords = 0;
  numTotalProcessedRecords = 0;
  numTotalFailedBatches = 0;
  /** Per input, records planned into batches since start (a counter: retention does not lower it). */
  readonly receivedByStream = new Map<number, number>();
  readonly receivers = new Map<number, ReceiverInfo>();
  /** Per event-time window operator, its figures in the last completed batch and late records since start. */
  readonly eventTime = new Map<string, EventTimeInfo & { totalLateRecords: number }>();
  /** Per input, the rate limit in force after each completed batch: [batchTime, records/s]. */
  readonly rateLimits = new Map<number, [Time, number][]>();

  constructor(
    private readonly onChange: (change: ProgressChange) => void = () => undefined,
    private readonly rateLimitOf: (streamId: number) => number | undefined = () => undefined,
  ) {}

  onStreamingStarted(e: { time: number }): void {
    this.startTime = e.time;
    this.onChange({ kind: "started" });
  }

  onBatchSubmitted(e: { batchInfo: BatchInfo }): void {
    const b = fromInfo(e.batchInfo);
    this.waiting.set(b.batchTime, b);
    this.numTotalReceivedRecords += b.numRecords;
    for (const [id, n] of Object.entries(b.streamIdToNumRecords)) this.receivedByStream.set(Number(id), (this.receivedByStream.get(Number(id)) ?? 0) + n);
    this.onChange({ kind: "batch", batch: b, completed: false });
  }

  onBatchStarted(e: { batchInfo: BatchInfo }): void {
    const b = this.waiting.get(e.batchInfo.batchTime) ?? fromInfo(e.batchInfo);
    this.waiting.delete(b.batchTime);
    if (e.batchInfo.processingStartTime !== undefined) b.processingStartTime = e.batchInfo.processingStartTime;
    this.running.set(b.batchTime, b);
    this.onChange({ kind: "batch", batch: b, completed: false });
  }

  onOutputOperationStarted(e: { outputOperationInfo: OutputOperationInfo }): void {
    this.updateOperation(e.outputOperationInfo);
  }

  onOutputOperationCompleted(e: { outputOperationInfo: OutputOperationInfo }): void {
    const op = e.outputOperationInfo;
    const b = this.updateOperation(op);
    if (b !== undefined && op.failureReason !== undefined) {
      // The batch ends here: the scheduler stops the context with this error.
      b.processingEndTime = op.endTime ?? b.processingStartTime;
      this.numTotalFailedBatches++;
      this.complete(b);
    }
  }

  onBatchCompleted(e: { batchInfo: BatchInfo }): void {
    const info = e.batchInfo;
    const b = this.running.get(info.batchTime) ?? fromInfo(info);
    if (info.processingStartTime !== undefined) b.processingStartTime = info.processingStartTime;
    if (info.processingEndTime !== undefined) b.processingEndTime = info.processingEndTime;
    for (const op of info.outputOperationInfos) b.outputOperations.set(op.id, { ...op });
    this.numTotalProcessedRecords += b.numRecords;
    for (const et of info.eventTime ?? []) {
      const before = this.eventTime.get(et.operatorId)?.totalLateRecords ?? 0;
      this.eventTime.set(et.operatorId, { ...et, totalLateRecords: before + et.numLateRecords });
    }
    for (const id of Object.keys(b.streamIdToNumRecords)) {
      const rate = this.rateLimitOf(Number(id));
      if (rate === undefined) continue;
      const list = this.rateLimits.get(Number(id)) ?? [];
      list.push([b.batchTime, rate]);
      if (list.length > RETAINED_BATCHES) list.shift();
      this.rateLimits.set(Number(id), list);
    }
    this.complete(b);
  }

  onReceiverStarted(e: { receiverInfo: ReceiverInfo }): void {
    this.updateReceiver(e.receiverInfo);
  }

  onReceiverError(e: { receiverInfo: ReceiverInfo }): void {
    this.updateReceiver(e.receiverInfo);
  }

  onReceiverStopped(e: { receiverInfo: ReceiverInfo }): void {
    this.updateReceiver(e.receiverInfo);
  }

  /** A batch by time, wherever it is. */
  batch(time: Time): BatchUiData | undefined {
    return this.waiting.get(time) ?? this.running.get(time) ?? this.completed.find((b) => b.batchTime === time);
  }

  private complete(b: BatchUiData): void {
    this.running.delete(b.batchTime);
    this.waiting.delete(b.batchTime);
    this.completed.push(b);
    this.numTotalCompletedBatches++;
    if (this.completed.length > RETAINED_BATCHES) this.completed.shift();
    this.onChange({ kind: "batch", batch: b, completed: true });
  }

  private updateOperation(op: OutputOperationInfo): BatchUiData | undefined {
    const b = this.running.get(op.batchTime);
    if (b === undefined) return undefined;
    b.outputOperations.set(op.id, { ...op });
    this.onChange({ kind: "batch", batch: b, completed: false });
    return b;
  }

  private updateReceiver(info: ReceiverInfo): void {
    this.receivers.set(info.streamId, { ...info });
    this.onChange({ kind: "receiver", info });
  }
}

function fromInfo(info: BatchInfo): BatchUiData {
  const streamIdToNumRecords: Record<number, number> = {};
  for (const [id, i] of Object.entries(info.streamIdToInputInfo ?? {})) streamIdToNumRecords[Number(id)] = i.numRecords;
  const b: BatchUiData = { batchTime: info.batchTime, numRecords: info.numRecords, streamIdToNumRecords, submissionTime: info.submissionTime, outputOperations: new Map() };
  if (info.processingStartTime !== undefined) b.processingStartTime = info.processingStartTime;
  if (info.processingEndTime !== undefined) b.processingEndTime = info.processingEndTime;
  return b;
}
