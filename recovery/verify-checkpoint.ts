/**
 * The one check every reader of a checkpoint runs before trusting it: recovery (getOrCreate) and
 * `dstream inspect` both call {@link verifyCheckpoint}, so inspect never calls a checkpoint sound
 * that a restart then rejects. It proves, beyond each record's CRC:
 * - no rollback: the commit mark file (outside LevelDB) names no batch newer than the database's
 *   last commit, and the mark is there when the meta record says it was written;
 * - no gap: the commits run unbroken (each names its predecessor) from the snapshot each stateful
 *   operator starts from to the last commit;
 * - the plans of committed batches the checkpoint still keeps are all there, pending plans lie on
 *   the batch grid, and every WAL block a plan names is stored (the blocks form one unbroken run);
 * - the meta record is there whenever other records are.
 * Anything else is STORAGE_CORRUPT naming what is missing. The state it loads is handed on, so
 * recovery reads it once.
 */
import { ErrorCodes, StorageError } from "../errors.js";
import type { BatchPlanRecord, CheckpointMeta, CheckpointStore, CommitRecord } from "../storage/checkpoint-store.js";
import { COMMIT_MARK_FILE } from "../storage/commit-mark.js";
import { batchKey, decodeKey, printKey, spaceRange, walKey } from "../storage/keys.js";
import { walkCommitChain } from "./commit-chain.js";
import type { GraphFingerprint } from "./fingerprint.js";
import { recoverOperatorState, type RecoveredState } from "./state-recovery.js";

/** A checkpoint that passed {@link verifyCheckpoint}, with what recovery needs from it. */
export interface VerifiedCheckpoint {
  meta: CheckpointMeta | undefined;
  /** The last committed batch, if any. */
  lastCommittedTime: number | undefined;
  /** Per stateful operator of the stored graph: its snapshot and the deltas of the commits after it. */
  states: Map<string, RecoveredState>;
  /** Every stored batch plan, ascending. */
  plans: BatchPlanRecord[];
  /** The commits on the verified chain, ascending (older stored ones are left out). */
  commits: CommitRecord[];
  /** Every committed batch at or after this time has its plan stored (see CommitInput.plansFrom). */
  plansFrom: number | undefined;
}

function corrupt(message: string, key?: string): StorageError {
  return new StorageError(ErrorCodes.STORAGE_CORRUPT, `${message} Restore the directory from a backup or start from an empty checkpoint directory.`, key === undefined ? {} : { key });
}

/** Verifies the checkpoint in `store` (see the file comment); throws STORAGE_CORRUPT on damage. */
export async function verifyCheckpoint(store: CheckpointStore): Promise<VerifiedCheckpoint> {
  const meta = await store.readMeta();
  const stored = await store.commitsFrom(0);
  const newest = stored[stored.length - 1]?.time;
  const last = newest === undefined ? meta?.lastCommittedTime : Math.max(newest, meta?.lastCommittedTime ?? newest);
  checkMark(store, meta, last);
  if (meta === undefined) {
    await checkNothingWithoutMeta(store);
    return { meta, lastCommittedTime: undefined, states: new Map(), plans: [], commits: [], plansFrom: undefined };
  }
  const plans = await store.batchPlansFrom(0);
  const states = new Map<string, RecoveredState>();
  if (last === undefined) {
    checkPending(meta, plans, undefined);
    await checkWal(store, plans);
    return { meta, lastCommittedTime: undefined, states, plans, commits: [], plansFrom: undefined };
  }
  const byTime = new Map(stored.map((c) => [c.time, c]));
  const lastCommit = byTime.get(last);
  const plansFrom = lastCommit?.plansFrom;
  // Each operator's starting snapshot decides how far back the chain must be whole.
  const starts = new Map<string, number | undefined>();
  let floor = plansFrom === undefined ? last : Math.min(last, plansFrom - 1);
  for (const id of statefulIds(meta)) {
    const start = await recoverOperatorState(store, id, last);
    starts.set(id, start.version);
    floor = Math.min(floor, start.version ?? -Infinity);
    states.set(id, start);
  }
  let chain: { visited: number[]; end: number | null };
  try {
    chain = walkCommitChain(byTime, meta, last, floor);
  } catch (err) {
    // A damaged snapshot that sent an operator further back than the commits reach: name it.
    const skipped = [...states.values()].find((s) => s.skipped !== undefined && s.version === undefined)?.skipped;
    throw skipped ?? err;
  }
  const onChain = new Set(chain.visited);
  const commits = chain.visited.reverse().map((t) => byTime.get(t) as CommitRecord);
  for (const [id, version] of starts) {
    if (version !== undefined && version !== chain.end && !onChain.has(version)) {
      throw corrupt(`Snapshot ${id}@${version} is not at a committed batch (the commits after ${version} go back past it); its key or the commits are damaged.`);
    }
    const state = states.get(id) as RecoveredState;
    state.deltas = commits.filter((c) => c.time > (version ?? -Infinity) && c.deltas[id] !== undefined).map((c) => c.deltas[id]);
  }
  checkCommittedPlans(plans, commits, plansFrom);
  checkPending(meta, plans, last);
  await checkWal(store, plans);
  return { meta, lastCommittedTime: last, states, plans, commits, plansFrom };
}

/** The ids of the stateful operators of the graph stored in `meta`. */
function statefulIds(meta: CheckpointMeta): string[] {
  const fp = meta.fingerprint as Partial<GraphFingerprint> | undefined;
  if (!Array.isArray(fp?.operators)) throw corrupt("The meta record holds no graph fingerprint.", "meta/checkpoint");
  return fp.operators.filter((op) => op.stateful).map((op) => op.id);
}

/** Rollback: the mark outside LevelDB names a newer commit than the database holds. */
function checkMark(store: CheckpointStore, meta: CheckpointMeta | undefined, last: number | undefined): void {
  const mark = store.mark;
  if (mark === undefined) return;
  if (!mark.exists && meta?.commitMark === true) {
    throw corrupt(
      `The commit mark file ${COMMIT_MARK_FILE} is missing, though the meta record says this checkpoint keeps one: the checkpoint cannot tell whether it lost committed batches.`,
      COMMIT_MARK_FILE,
    );
  }
  const marked = mark.time;
  if (marked !== undefined && (last === undefined || last < marked)) {
    const db = last === undefined ? "holds no commit at all" : `ends at batch ${last} ms`;
    throw corrupt(
      `The checkpoint lost committed batches: batch ${marked} ms was committed (the commit mark says so), but the database ${db}. ` +
        "Re-running the lost batches would give them other input and rewrite exactly-once outputs with other content, so recovery stops.",
      COMMIT_MARK_FILE,
    );
  }
}

/** A database without the meta record must hold no commits, plans or snapshots. */
async function checkNothingWithoutMeta(store: CheckpointStore): Promise<void> {
  for (const space of ["commit", "batch", "snapshot"] as const) {
    for await (const key of store.kv.keys({ ...spaceRange(space), limit: 1 })) {
      throw corrupt(`The meta record is missing, but the checkpoint holds ${printKey(key)}.`, "meta/checkpoint");
    }
  }
}

/** Every committed batch at or after `plansFrom` keeps its plan. */
function checkCommittedPlans(plans: BatchPlanRecord[], commits: CommitRecord[], plansFrom: number | undefined): void {
  if (plansFrom === undefined) return;
  const planned = new Set(plans.map((p) => p.time));
  for (const c of commits) {
    if (c.time >= plansFrom && !planned.has(c.time)) {
      throw corrupt(`The plan of committed batch ${c.time} ms is missing: windows and receivers rebuilt from it would miss or repeat its input.`, printKey(batchKey(c.time)));
    }
  }
}

/** Plans after the last commit are re-run: they must lie on the batch grid. */
function checkPending(meta: CheckpointMeta, plans: BatchPlanRecord[], last: number | undefined): void {
  for (const p of plans) {
    if (last !== undefined && p.time <= last) continue;
    if (p.time <= meta.zeroTime || (p.time - meta.zeroTime) % meta.batchDuration !== 0) {
      throw corrupt(`Batch plan ${p.time} ms is not on the batch grid (zero time ${meta.zeroTime} ms, every ${meta.batchDuration} ms).`, printKey(batchKey(p.time)));
    }
  }
}

/** A receiver's part of a batch plan, as lib/receiver writes it. */
interface BlockRangePlan {
  fromSeq: number;
  toSeq: number;
}

const isBlockRange = (x: unknown): x is BlockRangePlan =>
  typeof x === "object" && x !== null && typeof (x as BlockRangePlan).fromSeq === "number" && typeof (x as BlockRangePlan).toSeq === "number";

/**
 * The WAL: each receiver's stored blocks form one unbroken run of seqs (appends are dense and
 * cleanup deletes from the bottom), and no plan names a block past the newest one stored.
 */
async function checkWal(store: CheckpointStore, plans: BatchPlanRecord[]): Promise<void> {
  const runs = new Map<number, { low: number; high: number }>();
  for await (const key of store.kv.keys(spaceRange("wal"))) {
    const d = decodeKey(key);
    if (d.space !== "wal") throw corrupt(`WAL key ${printKey(key)} is malformed.`, printKey(key));
    const run = runs.get(d.receiverId);
    if (run !== undefined && d.seq !== run.high + 1) {
      throw corrupt(`WAL blocks ${run.high + 1}..${d.seq - 1} of receiver ${d.receiverId} are missing between stored blocks.`, printKey(walKey(d.receiverId, run.high + 1)));
    }
    if (run === undefined) runs.set(d.receiverId, { low: d.seq, high: d.seq });
    else run.high = d.seq;
  }
  for (const { time, plan } of plans) {
    const inputs = (plan as { inputs?: Record<string, unknown> } | undefined)?.inputs ?? {};
    for (const [id, input] of Object.entries(inputs)) {
      if (!isBlockRange(input) || input.toSeq <= input.fromSeq) continue;
      const head = await store.wal.lastBlock(Number(id));
      if (head === undefined || head.seq < input.toSeq - 1) {
        throw corrupt(
          `Batch plan ${time} ms names WAL blocks ${input.fromSeq}..${input.toSeq - 1} of receiver ${id}, but the newest stored block is ${head?.seq ?? "none"}.`,
          printKey(walKey(Number(id), input.toSeq - 1)),
        );
      }
    }
  }
}
