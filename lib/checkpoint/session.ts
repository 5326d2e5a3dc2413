import { checkCompatible } from "../../recovery/fingerprint.js";
import { planCleanup, type RetentionInput } from "../../recovery/retention.js";
import { verifyCheckpoint, type VerifiedCheckpoint } from "../../recovery/verify-checkpoint.js";
import { FORMAT_VERSION, openCheckpointStore, type CheckpointMeta, type CheckpointStore } from "../../storage/checkpoint-store.js";
import type { Wal } from "../../storage/wal.js";
import type { DStreamGraph } from "../dstream-graph.js";
import { RDD } from "../rdd/rdd.js";
import type { BatchCommit, BatchLog, BatchPlan } from "../scheduler/batch-log.js";
import type { Time } from "../time.js";
import { newJobId } from "../job-identity.js";
import { encodeSnapshot } from "../../storage/snapshots.js";
import { CheckpointHistory } from "./checkpoint-history.js";

/** A batch that was planned but not committed before a crash: re-run with exactly this input. */
export interface PendingBatch {
  time: Time;
  plan: BatchPlan;
}

/** How the checkpoint keeps and cleans its records. */
export interface CheckpointOptions {
  /** Snapshot each stateful operator every this many committed batches; default 10. */
  snapshotInterval?: number;
  /** Keep at least this many committed batch records (plans and commits); default 10. */
  retainBatches?: number;
  /**
   * Opens the store for a directory; default: LevelDB in that directory. Crash tests pass a store
   * over a fault-injecting key-value store here.
   */
  openStore?: (dir: string) => Promise<CheckpointStore>;
}

/**
 * A context's binding to its checkpoint directory: opened (and checked against the graph) by
 * getOrCreate or start, written by the scheduler through `log`, closed by stop.
 */
export interface CheckpointSession {
  readonly log: BatchLog;
  /** The write-ahead log receivers store their blocks in. */
  readonly wal: Wal;
  /** True when the directory held a checkpoint of this graph. */
  readonly recovered: boolean;
  /** The zero time of the checkpoint, when recovered. */
  readonly zeroTime: Time | undefined;
  /** The last committed batch time, when recovered. */
  readonly lastCommittedTime: Time | undefined;
  /**
   * The job's identity, kept in the meta record: new for a new checkpoint, read back for a
   * recovered one, undefined for a checkpoint created before job ids existed.
   */
  readonly jobId: string | undefined;
  /**
   * Called after the graph has started: restores every stateful operator and input, and returns
   * the batches to re-run, in time order.
   */
  restore(): Promise<PendingBatch[]>;
  close(): Promise<void>;
  /** Recent commits and snapshots with durations and sizes, and what the last start recovered. */
  readonly history: CheckpointHistory;
}

/** Opens the checkpoint in `dir` for `graph`; fails before anything runs if the graph differs. */
export async function openCheckpointSession(dir: string, graph: DStreamGraph, options: CheckpointOptions = {}): Promise<CheckpointSession> {
  const store = await (options.openStore ?? openCheckpointStore)(dir);
  try {
    // The same verification `dstream inspect` runs: gaps, rollback, missing records.
    const verified = await verifyCheckpoint(store);
    if (verified.meta !== undefined) checkCompatible(dir, verified.meta.fingerprint as never, graph.fingerprint());
    return new LevelCheckpointSession(store, graph, verified, options);
  } catch (err) {
    await store.close();
    throw err;
  }
}

class LevelCheckpointSession implements CheckpointSession, BatchLog {
  private readonly snapshotInterval: number;
  private readonly retainBatches: number;
  private snapshotting: Promise<void> | undefined;
  private snapshotError: unknown;
  /** Per stateful operator, its complete snapshot versions, newest first. */
  private readonly snapshotVersions = new Map<string, number[]>();
  private closed = false;
  readonly history = new CheckpointHistory();
  private readonly meta: CheckpointMeta | undefined;
  readonly jobId: string | undefined;
  /** Every committed batch at or after this time keeps its plan (written into each commit). */
  private plansFrom: number | undefined;

  constructor(
    private readonly store: CheckpointStore,
    private readonly graph: DStreamGraph,
    private verified: VerifiedCheckpoint | undefined,
    options: CheckpointOptions,
  ) {
    this.meta = verified?.meta;
    this.jobId = this.meta === undefined ? newJobId() : this.meta.jobId;
    // Records from before plansFrom existed: the plans still stored are what is known to be kept.
    this.plansFrom = verified?.plansFrom ?? verified?.plans[0]?.time;
    this.snapshotInterval = positiveInt(options.snapshotInterval ?? 10, "snapshotInterval");
    this.retainBatches = positiveInt(options.retainBatches ?? 10, "retainBatches");
  }

  get log(): BatchLog {
    return this;
  }

  get wal(): Wal {
    return this.store.wal;
  }

  get recovered(): boolean {
    return this.meta !== undefined;
  }

  get zeroTime(): Time | undefined {
    return this.meta?.zeroTime;
  }

  get lastCommittedTime(): Time | undefined {
    return this.verified?.lastCommittedTime ?? this.meta?.lastCommittedTime;
  }

  async restore(): Promise<PendingBatch[]> {
    const started = performance.now();
    const pending = await this.restoreAll();
    const restoredKeys: Record<string, number> = {};
    for (const op of this.graph.stateOperators) restoredKeys[op.operatorId] = op.size;
    this.history.recovery = {
      recovered: this.recovered,
      ...(this.lastCommittedTime === undefined ? {} : { lastCommittedTime: this.lastCommittedTime }),
      rerunBatches: pending.map((p) => p.time),
      caughtUpBatches: [],
      caughtUpCount: 0,
      restoredKeys,
      restoreMs: performance.now() - started,
    };
    return pending;
  }

  private async restoreAll(): Promise<PendingBatch[]> {
    const graph = this.graph;
    if (this.meta === undefined) {
      await this.store.writeMeta({
        formatVersion: FORMAT_VERSION,
        zeroTime: graph.zeroTime as Time,
        batchDuration: graph.batchDuration,
        fingerprint: graph.fingerprint(),
        ...(this.jobId === undefined ? {} : { jobId: this.jobId }),
      });
      return [];
    }
    const verified = this.verified as VerifiedCheckpoint;
    // Handed over once: the loaded state is not kept alive for the whole run.
    this.verified = { ...verified, states: new Map(), commits: [] };
    const last = verified.lastCommittedTime;
    for (const op of graph.stateOperators) this.snapshotVersions.set(op.operatorId, await this.store.snapshotVersions(op.operatorId));
    // With no batch committed there is no state to restore, and an operator's initial state
    // must still take part in the first batch: restore() would drop it.
    if (last !== undefined) {
      for (const op of graph.stateOperators) {
        const state = verified.states.get(op.operatorId);
        op.restore(state?.snapshot, state?.deltas ?? [], last);
      }
    }
    await this.restoreHistory(last);
    const plans = verified.plans;
    for (const input of graph.inputStreams) {
      await input.restorePlans(plans.map(({ time, plan }) => ({ time, plan: (plan as BatchPlan).inputs[input.streamId] })));
    }
    // Committed batches still inside the widest window are materialized again, so a window that
    // straddles the restart sees the same data as without it.
    const horizon = (last ?? 0) - graph.maxInputRemember;
    for (const { time, plan } of plans) {
      if (last === undefined || time > last || time <= horizon) continue;
      for (const input of graph.inputStreams) input.provideRdd(time, await input.materialize(time, (plan as BatchPlan).inputs[input.streamId]));
    }
    return plans.filter((p) => last === undefined || p.time > last).map(({ time, plan }) => ({ time, plan: plan as BatchPlan }));
  }

  /** Puts back the outputs that windows over stateful operators read (see DStreamGraph.findHistory). */
  private async restoreHistory(last: Time | undefined): Promise<void> {
    const ops = this.graph.historyOperators();
    if (ops.length === 0 || last === undefined) return;
    const span = Math.max(...ops.map((op) => this.graph.historyDuration(op)));
    // Read from the store, not the verified chain: the chain reaches back to the oldest kept plan,
    // which covers the span, except in checkpoints written before commits recorded it.
    for (const commit of await this.store.commitsFrom(Math.max(0, last - span + 1))) {
      for (const op of ops) {
        const records = commit.outputs?.[op.operatorId];
        if (records !== undefined && commit.time > last - this.graph.historyDuration(op)) op.provideRdd(commit.time, RDD.fromPartitions([records as unknown[]]));
      }
    }
  }

  async writePlan(time: Time, plan: BatchPlan): Promise<void> {
    await this.store.writeBatchPlan(time, plan);
  }

  async writeCommit(time: Time, commit: BatchCommit): Promise<void> {
    await this.writeBatches([{ time, commit }], []);
  }

  async writeBatches(commits: readonly { time: Time; commit: BatchCommit }[], plans: readonly { time: Time; plan: BatchPlan }[]): Promise<void> {
    const batches = commits.map(({ time, commit }) => {
      // Cleanup after this commit keeps the plans from here on (the same rule it applies), and never
      // gets back below what an earlier run's cleanup already deleted.
      const keptFrom = planCleanup(this.retention(time)).batchesBelow ?? 0;
      this.plansFrom = Math.max(this.plansFrom ?? keptFrom, keptFrom);
      return { time, input: { deltas: commit.deltas, outputs: commit.outputs ?? {}, meta: { lastCommittedTime: time }, plansFrom: this.plansFrom } };
    });
    const started = performance.now();
    const bytes = await this.store.commitMany(batches, plans);
    const last = commits.at(-1);
    if (last !== undefined) this.history.recordCommit({ batchTime: last.time, batches: commits.length, durationMs: performance.now() - started, bytes });
  }

  async clean(time: Time): Promise<void> {
    // A snapshot that failed in the background (disk full, I/O) stops the job here, at the next
    // batch: nothing is lost (the deltas it would have replaced are all still there).
    if (this.snapshotError !== undefined) throw this.snapshotError;
    if (this.snapshotDue(time) && this.snapshotting === undefined) {
      // The state is copied now, consistent with commit `time`. A copy that shares objects with the
      // live state is packed now too, before the next batch can change such an object in place
      // (encodeSnapshot); a copy of fresh [key, value] pairs of primitives cannot change, and is
      // packed with the writes, while the next batches proceed.
      const copies = this.graph.stateOperators.map((op) => {
        const started = performance.now();
        const copy = op.snapshot();
        const packNow = !primitivePairs(copy);
        return { operatorId: op.operatorId, entries: op.size, copy, packed: packNow ? encodeSnapshot(op.operatorId, time, copy) : undefined, packMs: packNow ? performance.now() - started : 0 };
      });
      this.snapshotting = (async () => {
        for (const { operatorId, entries, copy, packed, packMs } of copies) {
          const started = performance.now();
          const snapshot = packed ?? encodeSnapshot(operatorId, time, copy);
          const bytes = await this.store.writeEncodedSnapshot(snapshot);
          this.history.recordSnapshot({ operatorId: snapshot.operatorId, version: time, entries, durationMs: packMs + performance.now() - started, bytes });
          this.snapshotVersions.set(snapshot.operatorId, [time, ...(this.snapshotVersions.get(snapshot.operatorId) ?? [])].slice(0, 2));
        }
      })().finally(() => (this.snapshotting = undefined));
      this.snapshotting.catch((err: unknown) => void (this.snapshotError ??= err));
    }
    for (const op of this.graph.stateOperators) if (!this.snapshotVersions.has(op.operatorId)) this.snapshotVersions.set(op.operatorId, []);
    await this.store.cleanup(planCleanup(this.retention(time)));
  }

  private retention(time: Time): RetentionInput {
    return {
      lastCommitted: time,
      batchDuration: this.graph.batchDuration,
      retainBatches: this.retainBatches,
      windowHorizon: time - this.graph.maxInputRemember,
      snapshotVersions: this.snapshotVersions,
      walWatermarks: this.walWatermarks(),
    };
  }

  /**
   * True when some operator's newest snapshot (or, without one, the zero time) lies `snapshotInterval`
   * batches or more behind `time`. Measured on the grid, not counted per run, so a job restarted
   * often still takes snapshots.
   */
  private snapshotDue(time: Time): boolean {
    const zero = this.graph.zeroTime ?? 0;
    const every = this.snapshotInterval * this.graph.batchDuration;
    return this.graph.stateOperators.some((op) => time - (this.snapshotVersions.get(op.operatorId)?.[0] ?? zero) >= every);
  }

  private walWatermarks(): Record<number, number> {
    const marks: Record<number, number> = {};
    for (const input of this.graph.inputStreams) {
      const mark = input.walWatermark();
      if (mark !== undefined) marks[input.streamId] = mark;
    }
    return marks;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.snapshotting?.catch(() => undefined);
    await this.store.close();
  }
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer; got ${String(n)}`);
  return n;
}

/**
 * True when `copy` is an array of [key, value] pairs whose keys and values are all primitives:
 * KeyedState.snapshot() makes such pairs afresh, so nothing the job does later can change them.
 * Anything else may share objects with the live state.
 */
function primitivePairs(copy: unknown): boolean {
  if (!Array.isArray(copy)) return false;
  for (let i = 0; i < copy.length; i++) {
    const e = copy[i] as unknown;
    if (!Array.isArray(e) || e.length !== 2) return false;
    const [k, v] = e as [unknown, unknown];
    if ((typeof k === "object" && k !== null) || typeof k === "function" || (typeof v === "object" && v !== null) || typeof v === "function") return false;
  }
  return true;
}
