import { hostname, userInfo } from "node:os";
import type { OutputOperationInfo } from "../listener.js";
import type { BatchUiData } from "./streaming-progress.js";
import type { UiSource } from "./ui-source.js";

/**
 * Spark's streaming REST API (org.apache.spark.status.api.v1.streaming), field for field: dates as
 * Spark's Jackson writer prints them (`2024-01-01T12:00:00.000GMT`), `None` fields left out,
 * batch ids = batch times in ms.
 */

/** Spark's date format for the REST API. */
export function sparkDate(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "GMT");
}

/** Spark's BatchStatus. */
export type BatchStatus = "COMPLETED" | "PROCESSING" | "QUEUED";

/** GET …/streaming/statistics */
export function statistics(src: UiSource): Record<string, unknown> {
  const p = src.progress;
  const batches = p.completed;
  const receivers = src.inputs().filter((i) => i.kind === "receiver");
  const active = receivers.filter((r) => p.receivers.get(r.streamId)?.active === true).length;
  const out: Record<string, unknown> = {
    startTime: sparkDate(p.startTime ?? src.now()),
    batchDuration: src.batchDuration,
    numReceivers: receivers.length,
    numActiveReceivers: active,
    numInactiveReceivers: receivers.length - active,
    numTotalCompletedBatches: p.numTotalCompletedBatches,
    numRetainedCompletedBatches: batches.length,
    numActiveBatches: p.waiting.size + p.running.size,
    numProcessedRecords: p.numTotalProcessedRecords,
    numReceivedRecords: p.numTotalReceivedRecords,
  };
  setIf(out, "avgInputRate", avg(batches.map((b) => (b.numRecords * 1000) / src.batchDuration)));
  // Spark averages delays as whole milliseconds (Long).
  setIf(out, "avgSchedulingDelay", avgLong(batches.map(schedulingDelay)));
  setIf(out, "avgProcessingTime", avgLong(batches.map(processingTime)));
  setIf(out, "avgTotalDelay", avgLong(batches.map(totalDelay)));
  return out;
}

/** GET …/streaming/receivers (sorted by stream id) */
export function receivers(src: UiSource): Record<string, unknown>[] {
  return src
    .inputs()
    .filter((i) => i.kind === "receiver")
    .map((input) => receiver(src, input.streamId, input.name));
}

function receiver(src: UiSource, streamId: number, name: string): Record<string, unknown> {
  const info = src.progress.receivers.get(streamId);
  const rates = eventRates(src, streamId);
  const out: Record<string, unknown> = { streamId, streamName: info?.name ?? name };
  if (info !== undefined) {
    out.isActive = info.active;
    // The receiver runs in this process: Spark's driver.
    out.executorId = "driver";
    out.executorHost = hostname();
  }
  if (info?.lastErrorTime !== undefined && info.lastErrorTime >= 0) out.lastErrorTime = sparkDate(info.lastErrorTime);
  setIf(out, "lastErrorMessage", info?.lastErrorMessage);
  setIf(out, "lastError", info?.lastError);
  setIf(out, "avgEventRate", avg(rates.map(([, r]) => r)));
  out.eventRates = rates;
  return out;
}

/** Per retained completed batch, the records/s of input `streamId`: [batchTime, rate]. */
export function eventRates(src: UiSource, streamId: number): [number, number][] {
  return src.progress.completed.map((b) => [b.batchTime, ((b.streamIdToNumRecords[streamId] ?? 0) * 1000) / src.batchDuration]);
}

/** GET …/streaming/batches[?status=COMPLETED|PROCESSING|QUEUED] (newest first) */
export function batches(src: UiSource, statuses: readonly string[]): Record<string, unknown>[] {
  const p = src.progress;
  const all: [BatchUiData, BatchStatus][] = [
    ...[...p.waiting.values()].map((b) => [b, "QUEUED"] as [BatchUiData, BatchStatus]),
    ...[...p.running.values()].map((b) => [b, "PROCESSING"] as [BatchUiData, BatchStatus]),
    ...p.completed.map((b) => [b, "COMPLETED"] as [BatchUiData, BatchStatus]),
  ];
  return all
    .filter(([, s]) => statuses.length === 0 || statuses.includes(s))
    .sort(([a], [b]) => b.batchTime - a.batchTime)
    .map(([b, s]) => batchInfo(src, b, s));
}

/** GET …/streaming/batches/{batchId}; undefined when the UI does not know that batch. */
export function batch(src: UiSource, batchId: number): Record<string, unknown> | undefined {
  const p = src.progress;
  const b = p.batch(batchId);
  if (b === undefined) return undefined;
  const status: BatchStatus = p.waiting.has(batchId) ? "QUEUED" : p.running.has(batchId) ? "PROCESSING" : "COMPLETED";
  return batchInfo(src, b, status);
}

function batchInfo(src: UiSource, b: BatchUiData, status: BatchStatus): Record<string, unknown> {
  const ops = [...b.outputOperations.values()];
  const failed = ops.filter((o) => o.failureReason !== undefined);
  const out: Record<string, unknown> = {
    batchId: b.batchTime,
    batchTime: sparkDate(b.batchTime),
    status,
    batchDuration: src.batchDuration,
    inputSize: b.numRecords,
  };
  setIf(out, "schedulingDelay", schedulingDelay(b));
  setIf(out, "processingTime", processingTime(b));
  setIf(out, "totalDelay", totalDelay(b));
  out.numActiveOutputOps = ops.filter((o) => o.startTime !== undefined && o.endTime === undefined).length;
  out.numCompletedOutputOps = ops.filter((o) => o.endTime !== undefined && o.failureReason === undefined).length;
  out.numFailedOutputOps = failed.length;
  out.numTotalOutputOps = status === "COMPLETED" ? ops.length : Math.max(ops.length, src.numOutputOperations());
  setIf(out, "firstFailureReason", failed.sort((a, c) => a.id - c.id)[0]?.failureReason);
  return out;
}

/** GET …/streaming/batches/{batchId}/operations; undefined when the batch is unknown. */
export function operations(src: UiSource, batchId: number): Record<string, unknown>[] | undefined {
  const b = src.progress.batch(batchId);
  if (b === undefined) return undefined;
  return [...b.outputOperations.values()].sort((a, c) => a.id - c.id).map(operation);
}

function operation(op: OutputOperationInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { outputOpId: op.id, name: op.name, description: op.description };
  if (op.startTime !== undefined) out.startTime = sparkDate(op.startTime);
  if (op.endTime !== undefined) out.endTime = sparkDate(op.endTime);
  setIf(out, "duration", op.duration);
  setIf(out, "failureReason", op.failureReason);
  // dstream runs no Spark jobs: an output operation is one job of its own, without an id.
  out.jobIds = [];
  return out;
}

/** GET /api/v1/applications: this process's one application (Spark's ApplicationInfo). */
export function applications(src: UiSource, version: string): Record<string, unknown>[] {
  const start = src.progress.startTime ?? src.now();
  const now = src.now();
  const completed = src.contextState() === "stopped";
  return [
    {
      id: src.appName,
      name: src.appName,
      attempts: [
        {
          startTime: sparkDate(start),
          // Spark prints a running application's end as the epoch minus 1 ms.
          endTime: sparkDate(completed ? now : -1),
          lastUpdated: sparkDate(now),
          duration: Math.max(0, now - start),
          sparkUser: safeUser(),
          completed,
          appSparkVersion: version,
          startTimeEpoch: start,
          endTimeEpoch: completed ? now : -1,
          lastUpdatedEpoch: now,
        },
      ],
    },
  ];
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

function schedulingDelay(b: BatchUiData): number | undefined {
  return b.processingStartTime === undefined ? undefined : Math.max(0, b.processingStartTime - b.submissionTime);
}

function processingTime(b: BatchUiData): number | undefined {
  return b.processingStartTime === undefined || b.processingEndTime === undefined ? undefined : Math.max(0, b.processingEndTime - b.processingStartTime);
}

function totalDelay(b: BatchUiData): number | undefined {
  return b.processingEndTime === undefined ? undefined : Math.max(0, b.processingEndTime - b.submissionTime);
}

function avg(values: readonly (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
}

function avgLong(values: readonly (number | undefined)[]): number | undefined {
  const a = avg(values);
  return a === undefined ? undefined : Math.floor(a);
}

function setIf(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}
