import type { GroupStatus } from "../lib/group/group-status.js";
import type { InspectReport } from "./inspect.js";

const time = (t: number | undefined): string => (t === undefined ? "-" : `${t} (${new Date(t).toISOString()})`);
const bytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

/** Aligned rows under a header. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The human-readable form of a report. */
export function formatReport(r: InspectReport): string {
  const out = [`checkpoint ${r.dir}`];
  if (!r.initialized) {
    out.push("  no checkpoint record yet: the job never started (or never got to its first batch)");
    return out.join("\n");
  }
  out.push(
    `  format version      ${r.formatVersion}`,
    `  batch duration      ${r.batchDuration} ms`,
    `  zero time           ${time(r.zeroTime)}`,
    `  job id              ${r.jobId ?? "none (created before job ids: its sinks write without one)"}`,
    `  last committed      ${time(r.lastCommittedTime)}`,
    `  pending batches     ${r.pendingBatches.length === 0 ? "none" : r.pendingBatches.join(", ")}  (planned, not committed: re-run on restart)`,
    `  stored plans        ${r.plannedBatches}, commits ${r.commits}`,
    "",
    "write-ahead log",
  );
  if (r.wal.length === 0) out.push("  (no receivers)");
  else {
    const rows = r.wal.map((w) => [String(w.receiverId), String(w.blocks), bytes(w.bytes), w.firstSeq === undefined ? "-" : `${w.firstSeq}..${w.lastSeq}`, JSON.stringify(w.lastOffset) ?? "-"]);
    out.push(...table(["receiver", "blocks", "bytes", "seqs", "last offset"], rows));
  }
  out.push("", "state");
  if (r.state.length === 0) out.push("  (no stateful operators)");
  else {
    const rows = r.state.map((s) => [s.operatorId, s.keys === undefined ? "-" : String(s.keys), bytes(s.bytes), s.snapshotVersion === undefined ? "none" : String(s.snapshotVersion), String(s.deltas)]);
    out.push(...table(["operator", "keys", "bytes", "from snapshot", "deltas"], rows));
  }
  out.push("", "snapshots");
  if (r.snapshots.length === 0) out.push("  (none yet)");
  else {
    const rows = r.snapshots.map((s) => [s.operatorId, String(s.version), String(s.chunks), bytes(s.bytes), s.complete ? "complete" : "incomplete (ignored)"]);
    out.push(...table(["operator", "version", "chunks", "bytes", ""], rows));
  }
  for (const js of r.jetStream) {
    out.push("", `jetStream input ${js.inputId}: stream ${js.stream}, ${js.subject}.<p> on ${js.servers.join(", ")}`);
    const rows = js.partitions.map((p) => [String(p.partition), p.committedOffset === undefined ? "-" : String(p.committedOffset), String(p.plannedOffset), String(p.pendingMessages), p.lag === undefined ? "?" : String(p.lag)]);
    out.push(...table(["partition", "committed offset", "planned offset", "pending msgs", "lag"], rows));
    if (js.lagError !== undefined) out.push(`  lag unknown: ${js.lagError}`);
  }
  return out.join("\n");
}

const age = (ms: number | null): string => (ms === null ? "-" : ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);
const batchTime = (t: number | null): string => (t === null ? "-" : String(t));

/** The human-readable form of a group's status (`dstream inspect --group`). */
export function formatGroupReport(g: GroupStatus): string {
  const f = g.fingerprint;
  const live = g.members.filter((m) => m.live);
  const out = [
    `group ${g.group}  (KV bucket ${g.bucket}, log stream ${g.logStream})`,
    `  partitions          ${g.partitions}  (key hash ${g.hash})`,
    `  batch duration      ${g.batchDuration} ms`,
    `  zero time           ${time(g.zeroTime)}`,
    `  job id              ${g.jobId ?? "none (created before job ids: its sinks write without one)"}`,
    `  job fingerprint     ${f.operators} operators, ${f.inputs} input${f.inputs === 1 ? "" : "s"}, ${f.windowed} windowed, stateful: ${f.stateful.length === 0 ? "none" : f.stateful.join(", ")}`,
    `  read at             ${time(g.readAt)}  (live = heartbeat younger than ${g.leaseMs} ms)`,
    "",
    `members (${live.length} live${g.members.length > live.length ? `, ${g.members.length - live.length} not` : ""})`,
  ];
  if (g.members.length === 0) out.push("  (none: no member runs, or every one left)");
  else {
    const rows = g.members.map((m) => [m.id, m.live ? "live" : "gone", age(m.heartbeatAgeMs), m.partitions.length === 0 ? "-" : m.partitions.map((p) => `${p.partition}@${p.epoch}`).join(" ")]);
    out.push(...table(["member", "", "heartbeat", "partitions@epoch"], rows));
  }
  out.push("", "partitions");
  const rows = g.partitionStatus.map((p) => [
    String(p.partition),
    p.holder ?? "(none)",
    p.epoch === null ? "-" : String(p.epoch),
    batchTime(p.lastCommitTime),
    p.lastCommitMember ?? "-",
    batchTime(p.pendingPlanTime),
    p.snapshotTime === null ? "-" : `${p.snapshotTime} (${age(p.snapshotAgeMs)} ago)`,
    String(p.logEntries),
    String(p.lagBatches),
  ]);
  out.push(...table(["partition", "holder", "epoch", "last commit", "committed by", "pending plan", "snapshot", "log entries", "lag (batches)"], rows));
  return out.join("\n");
}
