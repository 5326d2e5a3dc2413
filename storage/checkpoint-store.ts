/**
 * Typed checkpoint records over one {@link KvStore}: meta, batch plans, commits (with sink ledger
 * entries), snapshots, and cleanup, plus the {@link Wal} on the same database. The recovery layer
 * needs nothing else from storage. Every write that belongs together is one atomic write.
 */
import type { BatchPlanRecord, CheckpointMeta, CleanupPlan, CommitInput, CommitRecord, SnapshotRecord } from "./checkpoint-records.js";
import { ErrorCodes, StorageError } from "../errors.js";
import { cleanupOps } from "./cleanup.js";
import { CommitMark } from "./commit-mark.js";
import { decodeValue, encodeValue } from "./codec.js";
import { batchKey, batchRange, commitKey, commitRange, decodeKey, metaKey, printKey, sinkKey } from "./keys.js";
import type { KvOp, KvStore } from "./kv.js";
import { LevelKv } from "./level-kv.js";
import { MemoryKv } from "./memory-kv.js";
import { encodeSnapshot, latestSnapshot, snapshotAt, snapshotDeleteOps, snapshotVersions, writeSnapshot, type EncodedSnapshot } from "./snapshots.js";
import { Wal } from "./wal.js";

export type * from "./checkpoint-records.js";

/** The checkpoint format version this build writes into {@link CheckpointMeta.formatVersion}. */
export const FORMAT_VERSION = 1;

const META = metaKey("checkpoint");

/** One checkpoint: typed records and the WAL over one store. Open with {@link openCheckpointStore}. */
export class CheckpointStore {
  /** The underlying store (for tests and tools; engine code uses the typed methods). */
  readonly kv: KvStore;
  /** The write-ahead log on the same database. */
  readonly wal: Wal;
  /** The commit mark of the directory; undefined for a store without one (memory, most tests). */
  readonly mark: CommitMark | undefined;
  #meta: CheckpointMeta | undefined | null = null; // null: not read yet
  #closing: Promise<void> | undefined;

  private constructor(kv: KvStore, wal: Wal, mark: CommitMark | undefined) {
    this.kv = kv;
    this.wal = wal;
    this.mark = mark;
  }

  /**
   * A store over an open {@link KvStore} (tests pass a memory or fault-injecting one). With `dir`,
   * the store keeps the commit mark of that directory (see {@link ./commit-mark.ts}).
   */
  static async over(kv: KvStore, options: { dir?: string } = {}): Promise<CheckpointStore> {
    const mark = options.dir === undefined ? undefined : await CommitMark.open(options.dir);
    try {
      return new CheckpointStore(kv, await Wal.open(kv), mark);
    } catch (err) {
      await mark?.close();
      throw err;
    }
  }

  /** Writes the meta record (synced). */
  async writeMeta(meta: CheckpointMeta): Promise<void> {
    const record = this.mark?.exists === true ? { ...meta, commitMark: true } : meta;
    await this.kv.write([{ type: "put", key: META, value: encodeValue(record) }], { sync: true });
    this.#meta = { ...record };
  }

  /** The meta record, or undefined for a fresh checkpoint. */
  async readMeta(): Promise<CheckpointMeta | undefined> {
    const v = await this.kv.get(META);
    this.#meta = v === undefined ? undefined : (decodeValue(META, v) as CheckpointMeta);
    return this.#meta === undefined ? undefined : { ...this.#meta };
  }

  /** Writes the plan of batch `time` (synced: a batch must never run on an unrecorded plan). */
  async writeBatchPlan(time: number, plan: unknown): Promise<void> {
    await this.kv.write([{ type: "put", key: batchKey(time), value: encodeValue(plan) }], { sync: true });
  }

  /** The plan of batch `time`, or undefined. */
  async readBatchPlan(time: number): Promise<unknown> {
    const key = batchKey(time);
    const v = await this.kv.get(key);
    return v === undefined ? undefined : decodeValue(key, v);
  }

  /** Plans with `from <= time < to`, ascending. */
  async batchPlansFrom(from: number, to?: number): Promise<BatchPlanRecord[]> {
    const out: BatchPlanRecord[] = [];
    for await (const [k, v] of this.kv.iterate(batchRange(from, to))) out.push({ time: timeOf(k), plan: decodeValue(k, v) });
    return out;
  }

  /**
   * Commits batch `time` in ONE synced write: the commit record (linked to the previous commit),
   * each sink's ledger entry and the meta record with `lastCommittedTime` (and any other `meta`
   * fields). Needs meta written first. Then, with a commit mark, records the time there.
   * Resolves to the bytes written (values only), for the UI's commit history.
   */
  async commit(time: number, input: CommitInput): Promise<number> {
    return this.commitMany([{ time, input }]);
  }

  /**
   * Commits several batches, ascending, in ONE synced write: each one's commit record and ledger
   * entries as {@link commit} writes them, the meta record once (as of the last), and the plans of
   * `nextPlans` (a catch-up records the next group's plans with this group's commits). A crash
   * leaves all of it written or none.
   */
  async commitMany(batches: readonly { time: number; input: CommitInput }[], nextPlans: readonly BatchPlanRecord[] = []): Promise<number> {
    const ops: KvOp[] = [];
    for (const { time, plan } of nextPlans) ops.push({ type: "put", key: batchKey(time), value: encodeValue(plan) });
    if (batches.length === 0) {
      if (ops.length > 0) await this.kv.write(ops, { sync: true });
      return ops.reduce((n, op) => n + (op.type === "put" ? op.value.length : 0), 0);
    }
    const current = this.#meta === null ? await this.readMeta() : this.#meta;
    if (current === undefined) throw new TypeError(`commit(${batches[0]!.time}) needs the checkpoint's meta record: call writeMeta() first`);
    let meta: CheckpointMeta = current;
    // Only once the mark file exists may meta say so: a crash before the file is created must not
    // leave a meta record that calls the missing file damage.
    if (this.mark?.exists === true) meta = { ...meta, commitMark: true };
    for (const { time, input } of batches) {
      // Each commit names its predecessor: recovery checks the chain has no gap.
      const record: CommitRecord = { time, prev: meta.lastCommittedTime ?? null, deltas: input.deltas };
      meta = { ...meta, ...input.meta, lastCommittedTime: input.meta?.lastCommittedTime ?? time };
      if (input.plansFrom !== undefined) record.plansFrom = input.plansFrom;
      if (input.fingerprint !== undefined) record.fingerprint = input.fingerprint;
      if (input.outputs !== undefined && Object.keys(input.outputs).length > 0) record.outputs = input.outputs;
      ops.push({ type: "put", key: commitKey(time), value: encodeValue(record) });
      for (const [id, entry] of Object.entries(input.sinks ?? {})) ops.push({ type: "put", key: sinkKey(id, time), value: encodeValue(entry) });
    }
    ops.push({ type: "put", key: META, value: encodeValue(meta) });
    await this.kv.write(ops, { sync: true });
    this.#meta = meta;
    // After the synced write, never before: the mark may lag the database, never lead it.
    await this.mark?.record(batches[batches.length - 1]!.time);
    return ops.reduce((n, op) => n + (op.type === "put" ? op.value.length : 0), 0);
  }

  /** The commit record of `time`, or undefined. */
  async readCommit(time: number): Promise<CommitRecord | undefined> {
    const key = commitKey(time);
    const v = await this.kv.get(key);
    return v === undefined ? undefined : (decodeValue(key, v) as CommitRecord);
  }

  /** Commits with `from <= time < to`, ascending. */
  async commitsFrom(from: number, to?: number): Promise<CommitRecord[]> {
    const out: CommitRecord[] = [];
    for await (const [k, v] of this.kv.iterate(commitRange(from, to))) {
      const record = decodeValue(k, v) as CommitRecord;
      // The key is not covered by the value's CRC: a damaged key must not move a commit in time.
      if (record === null || typeof record !== "object" || record.time !== timeOf(k)) {
        throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `Commit record ${printKey(k)} holds batch ${String((record as CommitRecord | null)?.time)}: its key or value is damaged.`, { key: printKey(k) });
      }
      out.push(record);
    }
    return out;
  }

  /** The newest committed time: the newest commit record, else meta's (commits may be cleaned). */
  async lastCommitTime(): Promise<number | undefined> {
    for await (const k of this.kv.keys({ ...commitRange(), reverse: true, limit: 1 })) return timeOf(k);
    return (await this.readMeta())?.lastCommittedTime;
  }

  /** The ledger entry of `sinkId` for batch `time`, or undefined. */
  async readSink(sinkId: string, time: number): Promise<unknown> {
    const key = sinkKey(sinkId, time);
    const v = await this.kv.get(key);
    return v === undefined ? undefined : decodeValue(key, v);
  }

  /**
   * Writes a snapshot of an operator's state at `version` (a batch time): chunks, then a manifest.
   * Arrays and Maps are split into chunks of `chunkEntries`; other values are one chunk.
   */
  async writeSnapshot(operatorId: string, version: number, state: unknown, options: { chunkEntries?: number } = {}): Promise<number> {
    return await writeSnapshot(this.kv, encodeSnapshot(operatorId, version, state, options.chunkEntries));
  }

  /** Writes a snapshot packed before (see {@link encodeSnapshot}); returns its bytes. */
  async writeEncodedSnapshot(snapshot: EncodedSnapshot): Promise<number> {
    return await writeSnapshot(this.kv, snapshot);
  }

  /** The newest complete snapshot; throws `STORAGE_CORRUPT` naming a damaged chunk. */
  async latestSnapshot(operatorId: string): Promise<SnapshotRecord | undefined> {
    return latestSnapshot(this.kv, operatorId);
  }

  /** Versions of an operator's complete snapshots, newest first. */
  snapshotVersions(operatorId: string): Promise<number[]> {
    return snapshotVersions(this.kv, operatorId);
  }

  /** The complete snapshot of `version`; throws `STORAGE_CORRUPT` naming a damaged record or a missing one. */
  async readSnapshot(operatorId: string, version: number): Promise<SnapshotRecord> {
    const snap = await snapshotAt(this.kv, operatorId, version);
    if (snap === undefined) throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `Snapshot ${operatorId}@${version} has no manifest`, { key: `snapshot/${operatorId}/${version}` });
    return snap;
  }

  /** Deletes an operator's snapshots with version below `version`. */
  async deleteSnapshotsBelow(operatorId: string, version: number): Promise<void> {
    await this.#delete(await snapshotDeleteOps(this.kv, operatorId, version));
  }

  /** Deletes batch plans with time below `time`. */
  async deleteBatchPlansBelow(time: number): Promise<void> {
    await this.cleanup({ batchesBelow: time });
  }

  /** Deletes commit records with time below `time`. */
  async deleteCommitsBelow(time: number): Promise<void> {
    await this.cleanup({ commitsBelow: time });
  }

  /** Deletes everything the plan names in ONE atomic write (unsynced: redoing a lost cleanup is harmless). */
  async cleanup(plan: CleanupPlan): Promise<void> {
    await this.#delete(await cleanupOps(this.kv, this.wal, plan));
  }

  /** Flushes pending WAL appends and closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.wal.close();
      } finally {
        await this.mark?.close().catch(() => undefined);
        await this.kv.close();
      }
    })();
    return this.#closing;
  }

  async #delete(ops: KvOp[]): Promise<void> {
    if (ops.length > 0) await this.kv.write(ops, { sync: false });
  }
}

function timeOf(key: Buffer): number {
  const d = decodeKey(key);
  return d.space === "batch" || d.space === "commit" ? d.time : NaN;
}

/** Opens (creating if missing) the checkpoint in `dir`: one LevelDB database, `STORAGE_LOCKED` if in use. */
export async function openCheckpointStore(dir: string): Promise<CheckpointStore> {
  const kv = await LevelKv.open(dir);
  try {
    return await CheckpointStore.over(kv, { dir });
  } catch (err) {
    await kv.close();
    throw err;
  }
}

/** A checkpoint in memory, for tests. */
export function openMemoryCheckpointStore(): Promise<CheckpointStore> {
  return CheckpointStore.over(new MemoryKv());
}

/** Short names, as DESIGN's storage brief has them. */
export { openCheckpointStore as open, openMemoryCheckpointStore as openMemory };
