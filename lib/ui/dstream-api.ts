import { eventRates } from "./spark-api.js";
import type { UiSource } from "./ui-source.js";

/**
 * What dstream adds to Spark's streaming REST API, under the same prefix: every input with its
 * rate limit (and a direct input's partitions: offset, last batch's records, lag, rate limit), the state of each stateful operator, the commit and snapshot history, and what the
 * last start recovered. Plain numbers in ms and bytes; absent values are null.
 */

/** GET …/streaming/inputs */
export function inputs(src: UiSource): Record<string, unknown>[] {
  return src.inputs().map((i) => ({
    streamId: i.streamId,
    name: i.name,
    kind: i.kind,
    maxRate: i.maxRate ?? null,
    rateLimit: finiteOrNull(i.rateLimit),
    backpressure: src.backpressure(),
    lastStoredOffset: i.lastStoredOffset === undefined ? null : jsonSafe(i.lastStoredOffset),
    pendingRecords: i.pendingRecords ?? null,
    // Direct inputs' partitions (Spark's REST API has no field for them): absent values are null.
    partitions: (i.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset, lastBatchRecords: p.lastBatchRecords ?? null, lag: p.lag ?? null, rateLimit: finiteOrNull(p.rateLimit) })),
    eventRates: eventRates(src, i.streamId),
    rateLimits: src.progress.rateLimits.get(i.streamId) ?? [],
  }));
}

/** GET …/streaming/state */
export function state(src: UiSource): Record<string, unknown>[] {
  const latest = src.history()?.latestSnapshot;
  const now = src.now();
  return src.stateOperators().map((op) => {
    const snap = latest?.get(op.operatorId);
    const et = src.progress.eventTime.get(op.operatorId);
    return {
      operatorId: op.operatorId,
      kind: op.kind,
      keys: op.keys,
      snapshotVersion: snap?.version ?? null,
      snapshotBytes: snap?.bytes ?? null,
      snapshotEntries: snap?.entries ?? null,
      snapshotAgeMs: snap === undefined ? null : Math.max(0, now - snap.version),
      // Event-time window operators: the watermark of the last batch and late records since start.
      watermark: et?.watermark ?? null,
      lateRecords: et?.totalLateRecords ?? null,
    };
  });
}

/** GET …/streaming/checkpoints: newest first. */
export function checkpoints(src: UiSource): Record<string, unknown> {
  const h = src.history();
  return {
    checkpointDir: src.checkpointDir() ?? null,
    commits: [...(h?.commits ?? [])].reverse(),
    snapshots: [...(h?.snapshots ?? [])].reverse(),
  };
}

/** GET …/streaming/recovery */
export function recovery(src: UiSource): Record<string, unknown> {
  const r = src.history()?.recovery;
  return {
    checkpointDir: src.checkpointDir() ?? null,
    recovered: r?.recovered ?? false,
    lastCommittedTime: r?.lastCommittedTime ?? null,
    rerunBatches: r?.rerunBatches ?? [],
    caughtUpBatches: r?.caughtUpBatches ?? [],
    caughtUpCount: r?.caughtUpCount ?? 0,
    restoredKeys: r?.restoredKeys ?? {},
    restoreMs: r?.restoreMs ?? null,
  };
}

function finiteOrNull(n: number | undefined): number | null {
  return n === undefined || !Number.isFinite(n) ? null : n;
}

/** Offsets are user values: keep what JSON can say, describe the rest. */
function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  try {
    JSON.stringify(v);
    return v;
  } catch {
    return String(v);
  }
}
