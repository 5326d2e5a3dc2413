import { ErrorCodes, StorageError } from "../errors.js";
import type { CheckpointMeta, CommitRecord } from "../storage/checkpoint-store.js";
import { commitKey, printKey } from "../storage/keys.js";

/** At most this many missing batch times are listed in an error; the count says the rest. */
const LISTED = 12;

/**
 * The predecessor of a commit: its `prev` link, or for a record written before links existed, the
 * previous batch time on the grid (every grid time was committed then); null for the first batch.
 */
function previous(commit: CommitRecord, meta: CheckpointMeta): number | null {
  if (commit.prev !== undefined) return commit.prev;
  const prev = commit.time - meta.batchDuration;
  return prev <= meta.zeroTime ? null : prev;
}

/**
 * Follows the commits from `last` back through their `prev` links down to `floor` (a time at or
 * below which nothing is needed; -Infinity: down to the first commit), and returns the times
 * visited, newest first. A link to a commit that is not stored is a gap in the chain:
 * STORAGE_CORRUPT naming the missing batch times. LevelDB drops a damaged block of its log on
 * reopen without an error, so a commit in the middle can vanish while later ones stay. `end` is
 * where the walk stopped: the first linked time at or below `floor` (null past the first commit).
 */
export function walkCommitChain(commits: ReadonlyMap<number, CommitRecord>, meta: CheckpointMeta, last: number, floor: number): { visited: number[]; end: number | null } {
  const visited: number[] = [];
  let t: number | null = last;
  while (t !== null && t > floor) {
    const commit = commits.get(t);
    if (commit === undefined) throw gapError(commits, meta, t, floor, visited[visited.length - 1]);
    visited.push(t);
    const prev = previous(commit, meta);
    if (prev !== null && prev >= t) {
      throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `Commit record ${t} names ${prev} as its predecessor; commits run forward in time. The checkpoint is damaged.`, {
        key: printKey(commitKey(t)),
      });
    }
    t = prev;
  }
  return { visited, end: t };
}

/** The error for commit `t` missing: the batch times from the next older stored commit up to `t`. */
function gapError(commits: ReadonlyMap<number, CommitRecord>, meta: CheckpointMeta, t: number, floor: number, after: number | undefined): StorageError {
  let older = Math.max(floor, meta.zeroTime);
  for (const time of commits.keys()) if (time < t && time > older) older = time;
  const missing: number[] = [];
  for (let m = older + meta.batchDuration; m <= t; m += meta.batchDuration) missing.push(m);
  if (missing.length === 0) missing.push(t);
  const listed = missing.slice(0, LISTED).join(", ") + (missing.length > LISTED ? `, … (${missing.length} batches)` : "");
  const link = after === undefined ? "the checkpoint's last commit" : `commit ${after}`;
  return new StorageError(
    ErrorCodes.STORAGE_CORRUPT,
    `The commit chain has a gap: ${link} follows batch ${t}, whose commit is missing; missing batch times: ${listed} ms. ` +
      "The state after them cannot be rebuilt (LevelDB drops a damaged block of its log without an error). " +
      "Restore the directory from a backup or start from an empty checkpoint directory.",
    { key: printKey(commitKey(t)) },
  );
}
