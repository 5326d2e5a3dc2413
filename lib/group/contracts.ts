/**
 * The pieces a group member (DESIGN.md §10) is built from, as interfaces: the coordinator (leases
 * and membership in a JetStream KV bucket), the partition log (per-partition plans, commits and
 * snapshots on JetStream, fenced by expected-last-subject-sequence) and the shuffle exchange
 * (records of one stage for the partitions of the next, through JetStream subjects). The runtime
 * (`group-runtime.ts`) drives them; each is tested on its own against a real NATS server.
 */
import type { Duration, Time } from "../time.js";
import type { GroupStatus } from "./group-status.js";

/** What every member of a group must agree on, stored once in the group's KV bucket. */
export interface GroupMeta {
  /** Number of partitions of every partitioned stage (the jetStream inputs' `partitions`). */
  partitions: number;
  /** The batch grid: batches at zeroTime + k·batchDuration. */
  zeroTime: Time;
  batchDuration: Duration;
  /** The job graph's fingerprint (DStreamGraph.fingerprint()): a member with other code is refused. */
  fingerprint: unknown;
  /** The key hash that maps a key to its partition (`hashKey(key) % partitions`); fixed per group. */
  hash: "dstream-hashKey-v1";
  /**
   * The group's job id (lib/job-identity.ts), written by its first member: every member's sinks
   * write it. Absent in groups created before job ids existed: their sinks write as they did.
   */
  jobId?: string;
}

/** One live member and the partitions it holds. */
export interface MemberInfo {
  id: string;
  partitions: number[];
}

/** A change in what this member holds, reported by the coordinator. */
export interface OwnershipChange {
  gained: number[];
  lost: number[];
}

/**
 * Membership and partition leases (lib/group/coordinator.ts). `join` registers the member, agrees
 * on the meta (the first member writes it; a later one with another fingerprint, partition count or
 * batch duration is refused with DSTREAM_CHECKPOINT_MISMATCH and changes nothing), then takes
 * leases in the background: a balanced, deterministic share of the partitions among the live
 * members, taken with compare-and-set, renewed every leaseMs/3, expired by the server's time.
 */
export interface GroupCoordinator {
  readonly memberId: string;
  readonly meta: GroupMeta;
  /** The partitions whose lease this member holds now (sorted). */
  owned(): number[];
  /**
   * Called (synchronously, in order) whenever `owned()` changes: after a lease is taken, released,
   * or found lost (renewal failed or lapsed). The runtime applies changes between batches.
   */
  onChange(listener: (change: OwnershipChange) => void): void;
  /** The runtime found partition p fenced (its log had a newer writer): give its lease up now. */
  lost(p: number): void;
  /** Every live member and the partitions its leases hold, from the bucket. */
  members(): Promise<MemberInfo[]>;
  /** Releases every lease (so others take them at once) and deregisters. Idempotent. */
  leave(): Promise<void>;
}

/** A batch's input and decisions for one partition, appended before the batch runs. */
export interface PlanEntry {
  kind: "plan";
  time: Time;
  /** Opaque to the log: per input stream id, the partition's range; per operator, its decision. */
  plan: unknown;
}

/** A partition's commit of one batch: after it, the batch is done for this partition. */
export interface CommitEntry {
  kind: "commit";
  time: Time;
  /** Per stateful operator id, the partition's state delta (opaque to the log). */
  deltas: Record<string, unknown>;
  /** The member that committed it (for tools and tests: who held the partition when). */
  member: string;
}

export type LogEntry = PlanEntry | CommitEntry;

/** What a member reads when it takes a partition. */
export interface PartitionHistory {
  partition: number;
  /** The newest snapshot: per operator id, the partition's whole state as of commit `time`. */
  snapshot?: { time: Time; states: Record<string, unknown> };
  /** Every entry after the snapshot (or from the start), in log order. */
  entries: LogEntry[];
}

/**
 * Per-partition log on JetStream (lib/group/partition-log.ts). Entries of partition p go to one
 * subject; `append` publishes with Nats-Expected-Last-Subject-Sequence = the last sequence this
 * instance read or wrote for p, so a member whose view is stale (it lost the partition) cannot
 * append: it gets DSTREAM_GROUP_FENCED. Entries larger than the server's max payload go as chunks
 * first (deterministic Msg-Ids); the entry message naming them is the atomic point.
 */
export interface PartitionLog {
  /** Creates the group's streams if missing. */
  ensure(): Promise<void>;
  /** Reads p (newest snapshot + entries after it) and makes this instance p's writer. */
  open(p: number): Promise<PartitionHistory>;
  /** Appends to p (opened before); DSTREAM_GROUP_FENCED when another writer appended since. */
  append(p: number, entry: LogEntry): Promise<void>;
  /**
   * Stores p's whole state as of its commit at `time` (appended before by this instance), then
   * removes the log entries no snapshot or kept plan needs (keeps the previous snapshot too).
   * Fenced like append.
   */
  snapshot(p: number, time: Time, states: Record<string, unknown>): Promise<void>;
  /** Forgets p (no more appends through this instance until opened again). */
  close(p: number): void;
  /** The newest entry of p's log, read-only (whoever writes p); undefined when p has none. */
  lastEntry(p: number): Promise<LogEntry | undefined>;
  /**
   * Records p's input positions as of its last snapshot (per input stream id, the last stream
   * sequence a committed batch took), replacing the ones recorded before. Small, and read by every
   * member: what no partition will read again can be removed from a stream the group owns.
   */
  recordPositions(p: number, positions: Record<number, number>): Promise<void>;
  /** p's positions as last recorded (by whichever member held p); undefined when none were. */
  positions(p: number): Promise<Record<number, number> | undefined>;
}

/**
 * Shuffle transport (lib/group/exchange.ts). Stage output of source partition p at batch t for
 * target partition q is one message (chunked when large) on a subject naming (exchange, q, t, p),
 * with Msg-Id `${exchangeId}:${p}:${q}:${t}`; an empty part is still published. A batch re-run
 * publishes the same ids again (harmless: its content is the same by determinism).
 */
export interface ShuffleExchange {
  ensure(): Promise<void>;
  /** Publishes source partition `p`'s records at `time`, `parts[q]` for each target q (length = partitions). */
  publish(exchangeId: string, p: number, time: Time, parts: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * Waits until all sources 0..P-1 have published for (exchangeId, q, time), then returns their
   * records concatenated in source order, and the lowest stream sequence their messages (chunks
   * included) occupy. Rejects with the signal's reason when aborted. While it waits, every few
   * seconds, `stalled` gets the sources still missing; it may throw to end the wait (their parts
   * can no longer come).
   */
  collect(exchangeId: string, q: number, time: Time, signal?: AbortSignal, stalled?: (missing: number[]) => Promise<void>): Promise<{ records: unknown[]; fromSeq: number }>;
  /**
   * Removes target q's parts of exchange `exchangeId` (and their chunks) with a stream sequence
   * below `seq`; returns how many messages went. Every source publishes its batches' parts in
   * batch order, so the parts of batch t and later all lie at or above the lowest sequence that
   * batch t's collect returned.
   */
  purgeBelow(exchangeId: string, q: number, seq: number): Promise<number>;
}

/** What operators read of the group while a batch runs. */
export interface GroupBatchView {
  /** The group's partition count. */
  readonly partitions: number;
  /** The partitions the running batch advances (this member's, those not yet at the batch's time). */
  readonly active: readonly number[];
  /**
   * True while this member still holds partition p's lease by its own clock. Sinks check it right
   * before writing p: a member paused in a batch past its lease must not write p after the new
   * holder did (and after the sink's deduplication, e.g. a JetStream duplicate window, forgot it).
   */
  holds(p: number): boolean;
}

/** `ssc.group`: the member's view of its group. */
export interface GroupHandle {
  readonly name: string;
  readonly memberId: string;
  /** The partitions this member holds now. */
  owned(): number[];
  /** Every live member and the partitions it holds. */
  members(): Promise<MemberInfo[]>;
  /**
   * Where the whole group stands, read from JetStream (members, leases, each partition's last
   * commit, snapshot and lag; what `dstream inspect --group` shows). Several reads: call it
   * every few seconds at most (the live UI does).
   */
  status(): Promise<GroupStatus>;
}
