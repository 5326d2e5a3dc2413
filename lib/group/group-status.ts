/**
 * Where a group stands, read from JetStream without joining it (DESIGN.md §10): the meta, the
 * members and their leases from the group's KV bucket, and per partition its holder, newest
 * commit, pending plan, newest snapshot, the log entries kept and how far it lags behind the
 * newest partition. Nothing is written: no heartbeat, no lease, no fence. What `dstream inspect
 * --group` prints, what the live UI and `/metrics` show of a member's group.
 */
import { ErrorCodes, StreamingError } from "../../errors.js";
import type { GraphFingerprint } from "../../recovery/fingerprint.js";
import type { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import type { Duration, Time } from "../time.js";
import { decodeGroupMeta, GROUP_META_KEY, groupBucketName, groupView } from "./coordinator.js";
import { partitionLogStream, partitionLogSubject, readPartitionProgress } from "./partition-log.js";

/** The default `leaseMs` of a group (group-options.ts), which the bucket does not record. */
export const DEFAULT_LEASE_MS = 10_000;

/** A member key in the bucket. */
export interface GroupMemberStatus {
  id: string;
  /** Heartbeat younger than leaseMs: the member counts in the share-out. */
  live: boolean;
  /** Time since its last heartbeat, by the reader's clock (ms). */
  heartbeatAgeMs: number;
  /** The partitions whose fresh lease it holds, with each lease's epoch (tenure count). */
  partitions: { partition: number; epoch: number }[];
}

/** One partition. */
export interface GroupPartitionStatus {
  partition: number;
  /** The member holding a fresh lease; null when none does (its holder died or gave it up). */
  holder: string | null;
  /** The lease's epoch (null: never leased). */
  epoch: number | null;
  /** The batch time of its newest commit, and the member that wrote it (null: no commit yet). */
  lastCommitTime: Time | null;
  lastCommitMember: string | null;
  /** A plan recorded after the newest commit: that batch is under way. */
  pendingPlanTime: Time | null;
  /** The batch time its newest snapshot covers, and that snapshot's age (ms, reader's clock). */
  snapshotTime: Time | null;
  snapshotAgeMs: number | null;
  /** Messages its log subject keeps (plans and commits; retention removes what no snapshot needs). */
  logEntries: number;
  /** Batches its newest commit is behind the newest commit of any partition. */
  lagBatches: number;
}

/** Everything known of a group at one moment. */
export interface GroupStatus {
  group: string;
  bucket: string;
  logStream: string;
  /** The reader's clock when it read (ms since the epoch). */
  readAt: number;
  /** The lease time liveness was judged with (the bucket does not record the members' own). */
  leaseMs: number;
  partitions: number;
  batchDuration: Duration;
  zeroTime: Time;
  hash: string;
  /** The job id its members' exactly-once sinks write; null for a group created before job ids. */
  jobId: string | null;
  fingerprint: FingerprintSummary;
  members: GroupMemberStatus[];
  partitionStatus: GroupPartitionStatus[];
}

/** What the group's stored graph fingerprint says, short. */
export interface FingerprintSummary {
  operators: number;
  inputs: number;
  stateful: string[];
  windowed: number;
}

/** Options of {@link readGroupStatus}. */
export interface ReadGroupStatusOptions {
  /** Liveness threshold (members' leaseMs); default {@link DEFAULT_LEASE_MS}. */
  leaseMs?: number;
  /** The reader's clock; default Date.now. */
  now?: () => number;
}

/**
 * Reads group `group` through `client`. SOURCE_UNAVAILABLE when the server cannot be reached;
 * also SOURCE_UNAVAILABLE, saying so, when no such group exists (no bucket, or no meta in it yet).
 */
export async function readGroupStatus(client: JetStreamClient, group: string, options: ReadGroupStatusOptions = {}): Promise<GroupStatus> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const now = options.now ?? Date.now;
  const bucketName = groupBucketName(group);
  const bucket = await client.existingKvBucket(bucketName);
  const entries = bucket === undefined ? [] : await bucket.entries();
  const metaEntry = entries.find((e) => e.key === GROUP_META_KEY);
  if (metaEntry === undefined) {
    throw new StreamingError(
      ErrorCodes.SOURCE_UNAVAILABLE,
      `There is no group "${group}" on ${client.servers.join(", ")}: ${bucket === undefined ? `no KV bucket ${bucketName}` : `KV bucket ${bucketName} holds no meta`}. ` +
        "A group exists once its first member has started; check the name and --servers.",
    );
  }
  const meta = decodeGroupMeta(group, metaEntry);
  const readAt = now();
  const view = groupView(entries, { group, partitions: meta.partitions, leaseMs, serverNow: readAt });
  const stream = partitionLogStream(group);
  const hasLog = await client.streamExists(stream);
  const counts = hasLog ? await client.subjectCounts(stream, partitionLogSubject(group, "log", "*")) : new Map<string, number>();
  const partitions = Array.from({ length: meta.partitions }, (_, p) => p);
  const progress = await Promise.all(partitions.map((p) => (hasLog ? readPartitionProgress(client, group, p) : undefined)));
  const committedOf = (p: number): Time => progress[p]?.lastCommit?.time ?? progress[p]?.snapshot?.time ?? meta.zeroTime;
  const newest = Math.max(...partitions.map(committedOf));
  const partitionStatus = partitions.map((p): GroupPartitionStatus => {
    const pr = progress[p];
    const lease = view.leases.get(p);
    return {
      partition: p,
      holder: view.holders.get(p) ?? null,
      epoch: lease?.epoch ?? null,
      lastCommitTime: pr?.lastCommit?.time ?? null,
      lastCommitMember: pr?.lastCommit?.member ?? null,
      pendingPlanTime: pr?.pendingPlan?.time ?? null,
      snapshotTime: pr?.snapshot?.time ?? null,
      snapshotAgeMs: pr?.snapshot === undefined ? null : Math.max(0, readAt - pr.snapshot.storedAt),
      logEntries: counts.get(partitionLogSubject(group, "log", p)) ?? 0,
      lagBatches: Math.round((newest - committedOf(p)) / meta.batchDuration),
    };
  });
  const members = [...view.heartbeats]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, heartbeat]): GroupMemberStatus => ({
      id,
      live: view.live.includes(id),
      heartbeatAgeMs: Math.max(0, readAt - heartbeat),
      partitions: partitions.filter((p) => view.holders.get(p) === id).map((p) => ({ partition: p, epoch: view.leases.get(p)?.epoch ?? 0 })),
    }));
  return {
    group,
    bucket: bucketName,
    logStream: stream,
    readAt,
    leaseMs,
    partitions: meta.partitions,
    batchDuration: meta.batchDuration,
    zeroTime: meta.zeroTime,
    hash: meta.hash,
    jobId: meta.jobId ?? null,
    fingerprint: summarizeFingerprint(meta.fingerprint),
    members,
    partitionStatus,
  };
}

function summarizeFingerprint(f: unknown): FingerprintSummary {
  const ops = (f as GraphFingerprint | undefined)?.operators ?? [];
  return {
    operators: ops.length,
    inputs: ops.filter((o) => o.dependencies.length === 0).length,
    stateful: ops.filter((o) => o.stateful).map((o) => `${o.kind} ${o.id}`),
    windowed: ops.filter((o) => o.windowDuration !== undefined).length,
  };
}
