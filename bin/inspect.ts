/**
 * `dstream inspect <dir>`: what a checkpoint holds, read from a private copy (the checkpoint is
 * never opened, so never modified), after the verification recovery runs (recovery/verify-checkpoint.ts).
 * Errors are coded StreamingErrors: a locked directory (STORAGE_LOCKED), a damaged record, a gap in
 * the commit chain or lost commits (STORAGE_CORRUPT, naming the key), an unreadable directory.
 */
import { openCheckpointStore, type CheckpointStore } from "../storage/checkpoint-store.js";
import { encodeValue } from "../storage/codec.js";
import { decodeKey, MANIFEST_CHUNK, spaceRange } from "../storage/keys.js";
import type { RecoveredState } from "../recovery/state-recovery.js";
import { verifyCheckpoint } from "../recovery/verify-checkpoint.js";
import { assertNotLocked, readOnlyCopy, removeCopy } from "./read-only-copy.js";
import { jetStreamReports, type JetStreamInputReport } from "../lib/sources/jetstream/jetstream-report.js";

/** A receiver's write-ahead log. */
export interface WalReport {
  receiverId: number;
  blocks: number;
  bytes: number;
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  /** The source offset stored with its newest block (what a reliable receiver resumes from). */
  lastOffset: unknown;
}

/** A stateful operator's state: the newest snapshot plus the deltas committed after it. */
export interface StateReport {
  operatorId: string;
  /** Keys in the recovered state; undefined when the state is not keyed. */
  keys: number | undefined;
  /** Bytes of the recovered state, encoded as a snapshot would be. */
  bytes: number;
  /** The snapshot recovery would start from, if any. */
  snapshotVersion: number | undefined;
  /** Deltas replayed on top of it. */
  deltas: number;
}

/** A stored snapshot. */
export interface SnapshotReport {
  operatorId: string;
  version: number;
  chunks: number;
  bytes: number;
  complete: boolean;
}

/** Everything `dstream inspect` prints. */
export interface InspectReport {
  dir: string;
  /** False for a database with no checkpoint record yet (a job that never started a batch). */
  initialized: boolean;
  formatVersion: number | undefined;
  batchDuration: number | undefined;
  zeroTime: number | undefined;
  /**
   * The job id its exactly-once sinks write (a `DSTREAM_SINK_CONFLICT` names the other job by it);
   * undefined for a checkpoint created before job ids.
   */
  jobId: string | undefined;
  lastCommittedTime: number | undefined;
  /** Batch plans still stored (committed ones are kept for a while). */
  plannedBatches: number;
  /** Batches planned but not committed: a restart re-runs these with their recorded input. */
  pendingBatches: number[];
  commits: number;
  wal: WalReport[];
  state: StateReport[];
  snapshots: SnapshotReport[];
  /** Direct-stream inputs (`jetStream`): offsets per partition, and lag when the server answered. */
  jetStream: JetStreamInputReport[];
}

/** Options of {@link inspectCheckpoint}. */
export interface InspectOptions {
  /** Ask the JetStream server of each `jetStream` input for its lag (default true). */
  lag?: boolean;
}

/** Reads the checkpoint in `dir` without modifying it. */
export async function inspectCheckpoint(dir: string, options: InspectOptions = {}): Promise<InspectReport> {
  await assertNotLocked(dir);
  const copy = await readOnlyCopy(dir);
  try {
    const store = await openCheckpointStore(copy);
    try {
      return await report(dir, store, options.lag ?? true);
    } finally {
      await store.close();
    }
  } finally {
    await removeCopy(copy);
  }
}

async function report(dir: string, store: CheckpointStore, lag: boolean): Promise<InspectReport> {
  // The verification recovery runs: a checkpoint a restart would reject fails here the same way.
  const verified = await verifyCheckpoint(store);
  const meta = verified.meta;
  const plans = verified.plans;
  const commits = await store.commitsFrom(0);
  const last = verified.lastCommittedTime;
  const snapshots = await snapshotReports(store);
  const state: StateReport[] = [];
  for (const [operatorId, recovered] of [...verified.states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) state.push(stateReport(operatorId, recovered));
  return {
    dir,
    initialized: meta !== undefined,
    formatVersion: meta?.formatVersion,
    batchDuration: meta?.batchDuration,
    zeroTime: meta?.zeroTime,
    jobId: meta?.jobId,
    lastCommittedTime: last,
    plannedBatches: plans.length,
    pendingBatches: plans.filter((p) => last === undefined || p.time > last).map((p) => p.time),
    commits: commits.length,
    wal: await walReports(store),
    state,
    snapshots,
    jetStream: await jetStreamReports(
      plans.map((p) => ({ time: p.time, inputs: (p.plan as { inputs?: Record<number, unknown> } | undefined)?.inputs ?? {} })),
      last,
      { lag },
    ),
  };
}

async function walReports(store: CheckpointStore): Promise<WalReport[]> {
  const byReceiver = new Map<number, WalReport>();
  for await (const [k, v] of store.kv.iterate(spaceRange("wal"))) {
    const key = decodeKey(k);
    if (key.space !== "wal") continue;
    let r = byReceiver.get(key.receiverId);
    if (r === undefined) byReceiver.set(key.receiverId, (r = { receiverId: key.receiverId, blocks: 0, bytes: 0, firstSeq: key.seq, lastSeq: key.seq, lastOffset: undefined }));
    r.blocks++;
    r.bytes += v.length;
    r.lastSeq = key.seq;
  }
  // Receivers whose blocks were all cleaned up still have a head (their newest seq and offset).
  for (const id of await store.wal.receivers()) {
    const head = await store.wal.lastBlock(id);
    let r = byReceiver.get(id);
    if (r === undefined) byReceiver.set(id, (r = { receiverId: id, blocks: 0, bytes: 0, firstSeq: undefined, lastSeq: undefined, lastOffset: undefined }));
    r.lastOffset = head?.offset;
  }
  return [...byReceiver.values()].sort((a, b) => a.receiverId - b.receiverId);
}

async function snapshotReports(store: CheckpointStore): Promise<SnapshotReport[]> {
  const out = new Map<string, SnapshotReport>();
  for await (const [k, v] of store.kv.iterate(spaceRange("snapshot"))) {
    const key = decodeKey(k);
    if (key.space !== "snapshot") continue;
    const id = `${key.operatorId}\0${key.version}`;
    let s = out.get(id);
    if (s === undefined) out.set(id, (s = { operatorId: key.operatorId, version: key.version, chunks: 0, bytes: 0, complete: false }));
    s.bytes += v.length;
    if (key.chunk === MANIFEST_CHUNK) s.complete = true;
    else s.chunks++;
  }
  return [...out.values()];
}

function stateReport(operatorId: string, { snapshot, version, deltas }: RecoveredState): StateReport {
  const keyed = foldKeyed(snapshot, deltas);
  return {
    operatorId,
    keys: keyed?.size,
    bytes: keyed === undefined ? encodeValue([snapshot ?? null, deltas]).length : encodeValue([...keyed.values()]).length,
    snapshotVersion: version,
    deltas: deltas.length,
  };
}

type Entry = [unknown, unknown];
interface Delta {
  set: Entry[];
  del: unknown[];
}

const isEntries = (x: unknown): x is Entry[] => Array.isArray(x) && x.every((e) => Array.isArray(e) && e.length === 2);
const isDelta = (x: unknown): x is Delta =>
  typeof x === "object" && x !== null && isEntries((x as Delta).set) && Array.isArray((x as Delta).del);
/** Windowed reductions keep their keyed state under `window`. */
const inner = (x: unknown): unknown => (typeof x === "object" && x !== null && !Array.isArray(x) && "window" in x ? (x as { window: unknown }).window : x);

/** Keys compare by value, as the engine's KeyMap does (a canonical text per key). */
function canonical(k: unknown): string {
  if (typeof k !== "object" || k === null) return `${typeof k}:${String(k)}`;
  return `json:${JSON.stringify(k, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`;
}

/** The keyed state (snapshot entries plus deltas applied), or undefined for a state of another shape. */
function foldKeyed(snapshot: unknown, deltas: unknown[]): Map<string, Entry> | undefined {
  const snap = snapshot === undefined ? [] : inner(snapshot);
  if (!isEntries(snap)) return undefined;
  const map = new Map<string, Entry>();
  for (const e of snap) map.set(canonical(e[0]), e);
  for (const d of deltas) {
    const delta = inner(d);
    if (delta === undefined) continue;
    if (!isDelta(delta)) return undefined;
    for (const e of delta.set) map.set(canonical(e[0]), e);
    for (const k of delta.del) map.delete(canonical(k));
  }
  return map;
}
