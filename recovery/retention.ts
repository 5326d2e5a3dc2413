import type { CleanupPlan } from "../storage/checkpoint-store.js";

/** What the cleanup after a commit must keep. */
export interface RetentionInput {
  /** The batch just committed. */
  lastCommitted: number;
  batchDuration: number;
  /** Keep at least this many committed batch records. */
  retainBatches: number;
  /** Batch plans after this time are kept: a window that straddles a restart re-reads them. */
  windowHorizon: number;
  /** Per stateful operator, the versions of its complete snapshots, newest first. */
  snapshotVersions: ReadonlyMap<string, readonly number[]>;
  /** Per receiver, the lowest WAL block a retained or future batch still needs. */
  walWatermarks: Record<number, number>;
}

/**
 * Decides what may be deleted after a commit. Kept: the last `retainBatches` batches; batch plans
 * (and so WAL blocks) a window may re-read; for each operator its two newest snapshots and every
 * commit after the older one, so a corrupt newest snapshot can fall back to the older one. While
 * an operator has fewer than two snapshots no commit is deleted.
 */
export function planCleanup(input: RetentionInput): CleanupPlan {
  const retainFrom = input.lastCommitted - (input.retainBatches - 1) * input.batchDuration;
  const batchesBelow = Math.min(retainFrom, input.windowHorizon + 1);
  // Commits inside the window span hold the outputs windows over stateful operators read back.
  let commitsBelow = Math.min(retainFrom, input.windowHorizon + 1);
  const snapshotsBelow: Record<string, number> = {};
  for (const [id, versions] of input.snapshotVersions) {
    const older = versions[1];
    if (older === undefined) {
      commitsBelow = 0;
      continue;
    }
    commitsBelow = Math.min(commitsBelow, older + 1);
    snapshotsBelow[id] = older;
  }
  // Times are never negative: early in a job the horizons lie before time 0.
  const below = (t: number): number => Math.max(0, t);
  return { batchesBelow: below(batchesBelow), commitsBelow: below(commitsBelow), sinksBelow: below(commitsBelow), snapshotsBelow, walBelow: input.walWatermarks };
}
