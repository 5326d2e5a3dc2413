import type { BatchInfo } from "../listener.js";
import type { Duration } from "../time.js";

/** What one status line shows, taken from a completed batch. */
export interface StatusFields {
  batchTime: number;
  /** Records of the batch per second of batch duration. */
  recordsPerSecond: number;
  processingDelay: number | undefined;
  schedulingDelay: number | undefined;
  /** Keys held by every stateful operator together; undefined when the job has none. */
  stateKeys: number | undefined;
  /** Batches completed since the status line was attached. */
  batches: number;
  /** With event-time windows: the lowest watermark the batch used (undefined before any record), and its late records. */
  eventTime?: { watermark: number | undefined; lateRecords: number };
  /** In a group: its name, this member's id, the partitions it holds, and the live members (undefined until first read). */
  group?: { name: string; memberId: string; partitions: readonly number[]; members: number | undefined };
}

/** The fields of the status line for `info`, a batch of a context with `batchDuration`. */
export function statusFields(info: BatchInfo, batchDuration: Duration, stateKeys: number | undefined, batches: number): StatusFields {
  const fields: StatusFields = {
    batchTime: info.batchTime,
    recordsPerSecond: (info.numRecords * 1000) / batchDuration,
    processingDelay: info.processingDelay,
    schedulingDelay: info.schedulingDelay,
    stateKeys,
    batches,
  };
  const ops = info.eventTime ?? [];
  if (ops.length > 0) {
    const marks = ops.map((o) => o.watermark);
    fields.eventTime = {
      watermark: marks.includes(undefined) ? undefined : Math.min(...(marks as number[])),
      lateRecords: ops.reduce((n, o) => n + o.numLateRecords, 0),
    };
  }
  return fields;
}

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A duration in ms, short: `35 ms`, `1.20 s`; `-` when unknown. */
export function formatDelay(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The batch time as a UTC clock time (`12:00:01Z`), the same on every machine. */
export function formatBatchTime(t: number): string {
  return `${new Date(t).toISOString().slice(11, 19)}Z`;
}

/**
 * One status line, e.g.
 * `batch 12:00:01Z #12 | 20,000 rec/s | processing 35 ms | scheduling 0 ms | state 16 keys`.
 */
export function formatStatus(f: StatusFields): string {
  const parts = [
    `batch ${formatBatchTime(f.batchTime)} #${f.batches}`,
    `${grouped.format(f.recordsPerSecond)} rec/s`,
    `processing ${formatDelay(f.processingDelay)}`,
    `scheduling ${formatDelay(f.schedulingDelay)}`,
  ];
  if (f.stateKeys !== undefined) parts.push(`state ${grouped.format(f.stateKeys)} keys`);
  if (f.eventTime !== undefined) {
    const w = f.eventTime.watermark;
    parts.push(`watermark ${w === undefined ? "-" : formatBatchTime(w)}`, `late ${grouped.format(f.eventTime.lateRecords)}`);
  }
  if (f.group !== undefined) {
    const g = f.group;
    parts.push(`group ${g.name} member ${shortMemberId(g.memberId)}`, `partitions ${formatPartitions(g.partitions)}`, `${g.members ?? "?"} member${g.members === 1 ? "" : "s"}`);
  }
  return parts.join(" | ");
}

/**
 * A member id short enough for one line: the default ids (`host-pid-random`) by their random
 * tail, which tells members apart; short ids as they are.
 */
export function shortMemberId(id: string): string {
  return id.length <= 12 ? id : id.slice(-8);
}

/** Partitions as ranges: `0-2,5,7-9`; `none` when empty. */
export function formatPartitions(partitions: readonly number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    ranges.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.length === 0 ? "none" : ranges.join(",");
}

/** `line` cut to `columns` characters (a redrawn line must not wrap, or `\r` cannot erase it). */
export function fitToWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns <= 1 || line.length < columns) return line;
  return `${line.slice(0, columns - 2)}…`;
}
