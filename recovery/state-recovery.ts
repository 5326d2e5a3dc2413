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
}

/**
 * Loads an operator's state: the newest snapshot that reads back whole, then the deltas of the
 * commits after it. A corrupt snapshot is passed over for an older one, or for none when the
 * commits since the start are still all there; otherwise the STORAGE_CORRUPT error stands.
 */
export async function recoverOperatorState(store: CheckpointStore, operatorId: string): Promise<RecoveredState> {
  const versions = await store.snapshotVersions(operatorId);
  let firstError: unknown;
  for (const version of versions) {
    try {
      const snap = await store.readSnapshot(operatorId, version);
      return { snapshot: snap.state, version, deltas: await deltasAfter(store, operatorId, version) };
    } catch (err) {
      if (!StreamingError.is(err, ErrorCodes.STORAGE_CORRUPT)) throw err;
      firstError ??= err;
    }
  }
  if (firstError !== undefined && !(await hasEveryCommit(store))) throw firstError;
  return { snapshot: undefined, version: undefined, deltas: await deltasAfter(store, operatorId, -1) };
}

async function deltasAfter(store: CheckpointStore, operatorId: string, version: number): Promise<unknown[]> {
  const deltas: unknown[] = [];
  let previous: number | undefined;
  for (const commit of await store.commitsFrom(version + 1)) {
    if (previous !== undefined && commit.time <= previous) {
      throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `Commit records out of order at ${commit.time}`, { key: `commit/${commit.time}` });
    }
    previous = commit.time;
    const delta = commit.deltas[operatorId];
    if (delta !== undefined) deltas.push(delta);
  }
  return deltas;
}

/** True when the commit of the first batch is still stored (no commit was ever cleaned up). */
async function hasEveryCommit(store: CheckpointStore): Promise<boolean> {
  const meta = await store.readMeta();
  if (meta === undefined) return false;
  const first = meta.zeroTime + meta.batchDuration;
  const commits = await store.commitsFrom(first, first + 1);
  return commits.length === 1;
}
