/** Builds the delete ops of a {@link CleanupPlan}, so that they go in one atomic write. */
import type { CleanupPlan } from "./checkpoint-records.js";
import { batchRange, commitRange, decodeKey, sinkRange, spaceRange, type KeyRange } from "./keys.js";
import type { KvOp, KvStore } from "./kv.js";
import { snapshotDeleteOps } from "./snapshots.js";
import type { Wal } from "./wal.js";

async function deletes(kv: KvStore, range: KeyRange, ops: KvOp[]): Promise<void> {
  for await (const key of kv.keys(range)) ops.push({ type: "del", key });
}

/** Every sink id with a ledger entry, skipping from one id to the next rather than reading all. */
async function sinkIds(kv: KvStore): Promise<string[]> {
  const space = spaceRange("sink");
  const ids: string[] = [];
  let from = space.gte;
  for (;;) {
    let next: Buffer | undefined;
    for await (const k of kv.keys({ gte: from, lt: space.lt, limit: 1 })) next = k;
    const d = next === undefined ? undefined : decodeKey(next);
    if (d?.space !== "sink") return ids;
    ids.push(d.sinkId);
    from = sinkRange(d.sinkId).lt;
  }
}

/** The ops deleting what `plan` names. */
export async function cleanupOps(kv: KvStore, wal: Wal, plan: CleanupPlan): Promise<KvOp[]> {
  const ops: KvOp[] = [];
  // Loops, not push(...spread): a spread of very many ops would overflow the call stack.
  for (const [id, below] of Object.entries(plan.walBelow ?? {})) for (const op of await wal.deleteOps(Number(id), below)) ops.push(op);
  if (plan.batchesBelow !== undefined) await deletes(kv, batchRange(0, plan.batchesBelow), ops);
  if (plan.commitsBelow !== undefined) await deletes(kv, commitRange(0, plan.commitsBelow), ops);
  if (plan.sinksBelow !== undefined) {
    for (const id of await sinkIds(kv)) await deletes(kv, sinkRange(id, 0, plan.sinksBelow), ops);
  }
  for (const [id, below] of Object.entries(plan.snapshotsBelow ?? {})) for (const op of await snapshotDeleteOps(kv, id, below)) ops.push(op);
  return ops;
}
