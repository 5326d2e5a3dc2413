/**
 * What `dstream inspect` shows of a `jetStream` input: per partition, the offset its committed
 * batches reached, what pending (planned, uncommitted) batches will re-read, and the lag (messages
 * the stream holds beyond the newest planned offset), asked of the server when it can be reached.
 */
import { JetStreamClient } from "./jetstream-client.js";
import type { JetStreamPlan } from "./jetstream-input-dstream.js";
import { partitionSubject } from "./partition-range.js";

/** One partition of a `jetStream` input. */
export interface JetStreamPartitionReport {
  partition: number;
  subject: string;
  /** Last sequence read by committed batches. */
  committedOffset: number | undefined;
  /** Last sequence assigned to a batch (pending ones included): where the next batch starts. */
  plannedOffset: number;
  /** Messages the pending batches will read again on restart. */
  pendingMessages: number;
  /** Messages on the partition's subject after `plannedOffset`; undefined when the server was not asked or not reached. */
  lag: number | undefined;
}

/** A `jetStream` input of a checkpoint. */
export interface JetStreamInputReport {
  inputId: number;
  servers: string[];
  stream: string;
  subject: string;
  partitions: JetStreamPartitionReport[];
  /** Why `lag` is missing, when the server could not be asked. */
  lagError?: string;
}

/** True for a batch plan entry written by a `jetStream` input. */
export function isJetStreamPlan(x: unknown): x is JetStreamPlan {
  return typeof x === "object" && x !== null && (x as JetStreamPlan).kind === "jetstream" && Array.isArray((x as JetStreamPlan).ranges);
}

/**
 * Reports of the `jetStream` inputs found in `plans` (each batch's plan: input id → input plan),
 * oldest first. With `lag`, asks the server each input was read from (or `servers`).
 */
export async function jetStreamReports(plans: readonly { time: number; inputs: Record<number, unknown> }[], lastCommitted: number | undefined, options: { lag: boolean; servers?: string[] }): Promise<JetStreamInputReport[]> {
  const byInput = new Map<number, JetStreamInputReport>();
  for (const { time, inputs } of plans) {
    for (const [id, plan] of Object.entries(inputs)) {
      if (!isJetStreamPlan(plan)) continue;
      let r = byInput.get(Number(id));
      if (r === undefined) byInput.set(Number(id), (r = { inputId: Number(id), servers: plan.servers, stream: plan.stream, subject: plan.subject, partitions: [] }));
      const committed = lastCommitted !== undefined && time <= lastCommitted;
      for (const range of plan.ranges) {
        let p = r.partitions[range.partition];
        if (p === undefined) r.partitions[range.partition] = p = { partition: range.partition, subject: partitionSubject(plan.subject, range.partition), committedOffset: undefined, plannedOffset: range.from, pendingMessages: 0, lag: undefined };
        p.plannedOffset = range.to;
        if (committed) p.committedOffset = range.to;
        else p.pendingMessages += range.count;
      }
    }
  }
  const reports = [...byInput.values()].map((r) => ({ ...r, partitions: r.partitions.filter((p) => p !== undefined) }));
  if (options.lag) for (const r of reports) await addLag(r, options.servers ?? r.servers);
  return reports;
}

async function addLag(r: JetStreamInputReport, servers: string[]): Promise<void> {
  const client = JetStreamClient.open(servers);
  try {
    for (const p of r.partitions) p.lag = await client.countAfter(r.stream, p.subject, p.plannedOffset);
  } catch (err) {
    r.lagError = (err as Error).message;
  } finally {
    await client.release();
  }
}
