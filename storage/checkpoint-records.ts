/** The typed records a checkpoint holds (see {@link ./checkpoint-store.ts}). */

/** The checkpoint's own record (`meta/checkpoint`). */
export interface CheckpointMeta {
  formatVersion: number;
  zeroTime: number;
  batchDuration: number;
  fingerprint: unknown;
  /** Written atomically with each commit. */
  lastCommittedTime?: number;
  /**
   * True once the directory has a commit mark ({@link ./commit-mark.ts}): from then on a missing
   * mark file is damage. Set by the first commit after the mark file exists, never before it.
   */
  commitMark?: boolean;
  /**
   * The job's identity (lib/job-identity.ts), written when the checkpoint is created: the
   * exactly-once sinks write it next to their sink ids. Absent in checkpoints created before it
   * existed; such a job keeps writing without it (its ledger rows and message ids stay as they were).
   */
  jobId?: string;
}

/** What {@link CheckpointStore.commit} writes for one batch. */
export interface CommitInput {
  fingerprint?: unknown;
  /** Operator id → that operator's packed state delta for the batch. */
  deltas: Record<string, unknown>;
  /** Operator id → that operator's output records for the batch, kept for windows over it. */
  outputs?: Record<string, unknown>;
  /** Sink id → ledger entry, stored under `sink/<id>/<time>`. */
  sinks?: Record<string, unknown>;
  /** Fields of the meta record to change in the same write (lastCommittedTime defaults to the time). */
  meta?: Partial<CheckpointMeta>;
  /** Every committed batch at or after this time keeps its plan once this commit's cleanup ran. */
  plansFrom?: number;
}

/** A commit record as read back. */
export interface CommitRecord {
  time: number;
  /**
   * The batch committed before this one; null for the first. Recovery follows these links to
   * prove that no commit between a snapshot and the last one is missing. Absent in records
   * written before it existed (every batch time on the grid was committed then).
   */
  prev?: number | null;
  /** See {@link CommitInput.plansFrom}; absent when not known. */
  plansFrom?: number;
  fingerprint?: unknown;
  deltas: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** A batch plan as read back. */
export interface BatchPlanRecord {
  time: number;
  plan: unknown;
}

/** What {@link CheckpointStore.cleanup} deletes, in one atomic write; every field is optional. */
export interface CleanupPlan {
  /** Receiver id → delete its WAL blocks with seq below this. */
  walBelow?: Record<number, number>;
  /** Delete batch plans with time below this. */
  batchesBelow?: number;
  /** Delete commit records with time below this. */
  commitsBelow?: number;
  /** Delete every sink's ledger entries with time below this. */
  sinksBelow?: number;
  /** Operator id → delete its snapshots with version below this. */
  snapshotsBelow?: Record<string, number>;
}

/** A complete snapshot as read back. */
export interface SnapshotRecord {
  version: number;
  /** The state as written: an array, a Map (rebuilt from its entries), or any other value. */
  state: unknown;
}
