import type { Time } from "../time.js";

/** One batch commit: its atomic synced write. */
export interface CommitEntry {
  batchTime: Time;
  /** Wall-clock ms the write took (LevelDB and fsync). */
  durationMs: number;
  /** Bytes of the values written: commit record, sink ledger entries, meta. */
  bytes: number;
  /** Batches this write committed: 1, or a group of batches missed while down (catch-up). */
  batches: number;
}

/** One background snapshot of one stateful operator. */
export interface SnapshotEntry {
  operatorId: string;
  /** The batch time the snapshot is consistent with. */
  version: Time;
  /** Entries (keys) it holds. */
  entries: number;
  /** Wall-clock ms from the copy of the state to the last chunk on disk. */
  durationMs: number;
  bytes: number;
}

/** What the last start did to get back to where the checkpoint left off. */
export interface RecoveryEntry {
  /** False for a fresh checkpoint directory. */
  recovered: boolean;
  /** The last committed batch the checkpoint held. */
  lastCommittedTime?: Time;
  /** Batches planned but not committed before the process went down, re-run with their recorded input. */
  rerunBatches: Time[];
  /** Batch times that passed while the job was down, run at start before following the clock (the first HISTORY_LIMIT). */
  caughtUpBatches: Time[];
  /** How many batch times passed while the job was down (all of them, however many the list shows). */
  caughtUpCount: number;
  /** Keys restored per stateful operator (snapshot plus deltas). */
  restoredKeys: Record<string, number>;
  /** Wall-clock ms to restore state and inputs (before any batch ran). */
  restoreMs: number;
}

/** How many commits and snapshots the history keeps (the UI shows the newest first). */
export const HISTORY_LIMIT = 100;

/**
 * The recent checkpoint activity of a session (Flink's Checkpoints tab): the newest commits and
 * snapshots with their durations and sizes, and what the last start recovered. In memory only.
 */
export class CheckpointHistory {
  readonly commits: CommitEntry[] = [];
  readonly snapshots: SnapshotEntry[] = [];
  recovery: RecoveryEntry | undefined;
  /** Per operator, its newest snapshot (kept when the list moves on). */
  readonly latestSnapshot = new Map<string, SnapshotEntry>();

  recordCommit(entry: CommitEntry): void {
    push(this.commits, entry);
  }

  recordSnapshot(entry: SnapshotEntry): void {
    push(this.snapshots, entry);
    this.latestSnapshot.set(entry.operatorId, entry);
  }

  /** The batch times `from`..`to` (every `step`) run at start because they passed while the job was down. */
  recordCatchUp(from: Time, to: Time, step: number): void {
    const r = this.recovery;
    if (r === undefined) return;
    r.caughtUpCount += Math.floor((to - from) / step) + 1;
    for (let t = from; t <= to && r.caughtUpBatches.length < HISTORY_LIMIT; t += step) r.caughtUpBatches.push(t);
  }
}

function push<T>(list: T[], entry: T): void {
  list.push(entry);
  if (list.length > HISTORY_LIMIT) list.splice(0, list.length - HISTORY_LIMIT);
}
