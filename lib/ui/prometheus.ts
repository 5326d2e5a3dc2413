import { groupMetrics } from "./group-panel.js";
import { statistics } from "./spark-api.js";
import type { UiSource } from "./ui-source.js";

/**
 * The job's metrics in Prometheus' text exposition format (version 0.0.4). Computed from the same
 * data as the REST API at each scrape: no registry, no background collection.
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string | number>;

/** The lines of one scrape; `metric` adds one metric family (nothing when no sample has a value). */
export class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: "gauge" | "counter", help: string, samples: readonly [Labels, number | undefined][]): void {
    const present = samples.filter((s): s is [Labels, number] => s[1] !== undefined && Number.isFinite(s[1]));
    if (present.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of present) this.lines.push(`${name}${formatLabels(labels)} ${value}`);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** GET /metrics */
export function prometheusText(src: UiSource): string {
  const p = src.progress;
  const stats = statistics(src);
  const last = p.completed.at(-1);
  const app = { app: src.appName };
  const m = new Exposition();
  const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
  m.metric("dstream_info", "gauge", "The streaming application (value 1).", [[{ ...app, state: src.contextState() }, 1]]);
  m.metric("dstream_batch_duration_seconds", "gauge", "The batch interval.", [[app, src.batchDuration / 1000]]);
  m.metric("dstream_batches_completed_total", "counter", "Batches completed since start.", [[app, p.numTotalCompletedBatches - p.numTotalFailedBatches]]);
  m.metric("dstream_batches_failed_total", "counter", "Batches whose output operation failed.", [[app, p.numTotalFailedBatches]]);
  m.metric("dstream_batches_active", "gauge", "Batches queued or processing.", [[app, p.waiting.size + p.running.size]]);
  m.metric("dstream_records_received_total", "counter", "Records planned into batches.", [[app, p.numTotalReceivedRecords]]);
  m.metric("dstream_records_processed_total", "counter", "Records of completed batches.", [[app, p.numTotalProcessedRecords]]);
  if (last !== undefined) {
    const sd = last.processingStartTime === undefined ? undefined : last.processingStartTime - last.submissionTime;
    const pt = last.processingEndTime === undefined || last.processingStartTime === undefined ? undefined : last.processingEndTime - last.processingStartTime;
    const td = last.processingEndTime === undefined ? undefined : last.processingEndTime - last.submissionTime;
    m.metric("dstream_last_batch_scheduling_delay_seconds", "gauge", "Scheduling delay of the last completed batch.", [[app, seconds(sd)]]);
    m.metric("dstream_last_batch_processing_time_seconds", "gauge", "Processing time of the last completed batch.", [[app, seconds(pt)]]);
    m.metric("dstream_last_batch_total_delay_seconds", "gauge", "Total delay of the last completed batch.", [[app, seconds(td)]]);
    m.metric("dstream_last_batch_time_seconds", "gauge", "Batch time of the last completed batch (Unix time).", [[app, last.batchTime / 1000]]);
  }
  m.metric("dstream_avg_input_rate", "gauge", "Average records/s over the retained completed batches.", [[app, stats.avgInputRate as number | undefined]]);
  const inputs = src.inputs();
  m.metric(
    "dstream_input_records_total",
    "counter",
    "Records planned into batches, per input stream.",
    inputs.map((i) => [{ ...app, stream_id: i.streamId, stream: i.name }, p.receivedByStream.get(i.streamId) ?? 0]),
  );
  m.metric("dstream_input_rate_limit", "gauge", "Records/s an input may take now (backpressure or maxRate); absent while unbounded.", inputs.map((i) => [{ ...app, stream_id: i.streamId, stream: i.name }, i.rateLimit]));
  m.metric(
    "dstream_receiver_active",
    "gauge",
    "1 while the receiver runs.",
    inputs.filter((i) => i.kind === "receiver").map((i) => [{ ...app, stream_id: i.streamId, stream: i.name }, p.receivers.get(i.streamId)?.active === true ? 1 : 0]),
  );
  m.metric("dstream_state_keys", "gauge", "Keys held by a stateful operator.", src.stateOperators().map((op) => [{ ...app, operator: op.operatorId, kind: op.kind }, op.keys]));
  const h = src.history();
  if (h !== undefined) {
    const c = h.commits.at(-1);
    m.metric("dstream_last_commit_duration_seconds", "gauge", "Wall-clock time of the last batch commit (atomic synced write).", [[app, seconds(c?.durationMs)]]);
    m.metric("dstream_last_commit_bytes", "gauge", "Bytes written by the last batch commit.", [[app, c?.bytes]]);
    m.metric(
      "dstream_snapshot_bytes",
      "gauge",
      "Bytes of the newest snapshot of each stateful operator.",
      [...h.latestSnapshot.values()].map((s) => [{ ...app, operator: s.operatorId }, s.bytes]),
    );
  }
  groupMetrics(src, m);
  return m.text();
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}
