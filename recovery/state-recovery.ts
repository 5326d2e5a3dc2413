import { ErrorCodes, StorageError, StreamingError } from "../errors.js";
import type { CheckpointStore } from "../storage/checkpoint-store.js";

/** What recovery hands a stateful operator: its newest usable snapshot and the deltas after it. */
export interface RecoveredState {
  /** The snapshot's state; undefined when recovery starts from empty state. */
  snapshot: unknown;
  /** The snapshot's version (a batch time), or undefined. */
  version: number | undefined;
  /** The operator's deltas of every commit after the snapshot, in time order. */
  deltas: unknown[];
  /** The error of a damaged snapshot passed over for an older one (or for none). */
  skipped?: unknown;
}

/**
 * Picks an operator's starting point: the newest snapshot at or before `last` that reads back
 * whole; a corrupt one is passed over for an older one, or for none (then the commits must reach
 * back to the first batch, which the commit chain check decides). The deltas are left empty:
 * verifyCheckpoint fills them from the verified commit chain.
 */
export async function recoverOperatorState(store: CheckpointStore, operatorId: string, last: number): Promise<RecoveredState> {
  const versions = await store.snapshotVersions(operatorId);
  let skipped: unknown;
  for (const version of versions) {
    if (version > last) {
      throw new StorageError(
        ErrorCodes.STORAGE_CORRUPT,
        `Snapshot ${operatorId}@${version} is newer than the last commit (${last} ms): committed batches were lost. Restore the directory from a backup or start from an empty checkpoint directory.`,
        { key: `snapshot/${operatorId}/${version}` },
      );
    }
    try {
      const snap = await store.readSnapshot(operatorId, version);
      return { snapshot: snap.state, version, deltas: [], skipped };
    } catch (err) {
      if (!StreamingError.is(err, ErrorCodes.STORAGE_CORRUPT)) throw err;
      skipped ??= err;
    }
  }
  return { snapshot: undefined, version: undefined, deltas: [], skipped };
}
