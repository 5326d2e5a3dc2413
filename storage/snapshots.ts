/**
 * Chunked snapshots of operator state. A large state is split into chunks, each its own value,
 * written one per write; the manifest is written last (synced), so a snapshot cut short by a crash
 * has no manifest and is never used. Reading takes the newest version that has a manifest.
 */
import { ErrorCodes, StorageError } from "../errors.js";
import { decodeValue, encodeValue } from "./codec.js";
import type { SnapshotRecord } from "./checkpoint-records.js";
import { decodeKey, MANIFEST_CHUNK, printKey, snapshotKey, snapshotRange } from "./keys.js";
import type { KvOp, KvStore } from "./kv.js";

/** Entries per chunk unless told: ~8 ms of packing each, so other work interleaves. */
export const DEFAULT_CHUNK_ENTRIES = 65_536;

type Kind = "array" | "map" | "value";

interface Manifest {
  kind: Kind;
  chunks: number;
  entries: number;
  /** The version and operator the manifest was written for: a key damaged on disk then reads as a mismatch (absent in older manifests). */
  version?: number;
  operatorId?: string;
}

function* chunksOf(state: unknown, kind: Kind, size: number): Generator<unknown[] | unknown> {
  if (kind === "value") return yield state;
  let chunk: unknown[] = [];
  for (const e of kind === "map" ? (state as Map<unknown, unknown>).entries() : (state as unknown[])) {
    chunk.push(e);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** A snapshot packed into the values it is stored as, ready for {@link writeSnapshot}. */
export interface EncodedSnapshot {
  operatorId: string;
  version: number;
  /** The chunks' values, in order. */
  chunks: Buffer[];
  /** The manifest's value, written last. */
  manifest: Buffer;
  /** Entries of the state (map or array), 1 for a single value. */
  entries: number;
}

/**
 * Packs a snapshot of `state` now, synchronously: the bytes hold the state as it is at this
 * instant. A caller that lets the job go on while the snapshot is written packs first: a shallow
 * copy alone shares its values with the live state, and the next batch may change an object value
 * in place (a state function doing `s.n += v` on the object it got), so the snapshot written as
 * version t would hold t + 1's value, and a crash before t + 1 commits would apply t + 1 twice.
 */
export function encodeSnapshot(operatorId: string, version: number, state: unknown, chunkEntries = DEFAULT_CHUNK_ENTRIES): EncodedSnapshot {
  if (!Number.isInteger(chunkEntries) || chunkEntries < 1) throw new RangeError(`chunkEntries must be a positive integer, got ${chunkEntries}`);
  const kind: Kind = state instanceof Map ? "map" : Array.isArray(state) ? "array" : "value";
  const chunks: Buffer[] = [];
  for (const chunk of chunksOf(state, kind, chunkEntries)) chunks.push(encodeValue(chunk));
  const entries = kind === "map" ? (state as Map<unknown, unknown>).size : kind === "array" ? (state as unknown[]).length : 1;
  const manifest: Manifest = { kind, chunks: chunks.length, entries, version, operatorId };
  return { operatorId, version, chunks, manifest: encodeValue(manifest), entries };
}

/** Writes a packed snapshot, a chunk per synced write and the manifest last; returns its bytes. */
export async function writeSnapshot(kv: KvStore, snapshot: EncodedSnapshot): Promise<number> {
  const { operatorId, version } = snapshot;
  const manifestKey = snapshotKey(operatorId, version, MANIFEST_CHUNK);
  // Rewriting a version: its old manifest goes with the first chunk, so old and new chunks never mix.
  let ops: KvOp[] = [{ type: "del", key: manifestKey }];
  let bytes = 0;
  for (const [i, value] of snapshot.chunks.entries()) {
    bytes += value.length;
    ops.push({ type: "put", key: snapshotKey(operatorId, version, i), value });
    await kv.write(ops, { sync: true });
    ops = [];
  }
  await kv.write([...ops, { type: "put", key: manifestKey, value: snapshot.manifest }], { sync: true });
  // The bytes of the snapshot's values, for the UI's snapshot history.
  return bytes + snapshot.manifest.length;
}

/** The newest complete snapshot of an operator; a damaged chunk throws `STORAGE_CORRUPT` naming it. */
export async function latestSnapshot(kv: KvStore, operatorId: string): Promise<SnapshotRecord | undefined> {
  for await (const key of kv.keys({ ...snapshotRange(operatorId), reverse: true })) {
    const d = decodeKey(key);
    if (d.space !== "snapshot" || d.chunk !== MANIFEST_CHUNK) continue;
    const value = await kv.get(key);
    if (value === undefined) continue;
    return readSnapshot(kv, operatorId, d.version, key, decodeValue(key, value));
  }
  return undefined;
}

async function readSnapshot(kv: KvStore, operatorId: string, version: number, manifestKey: Buffer, m: unknown): Promise<SnapshotRecord> {
  const manifest = m as Partial<Manifest>;
  if (typeof manifest.chunks !== "number" || !["array", "map", "value"].includes(manifest.kind as string)) {
    throw corrupt(printKey(manifestKey), "is not a snapshot manifest");
  }
  if ((manifest.version !== undefined && manifest.version !== version) || (manifest.operatorId !== undefined && manifest.operatorId !== operatorId)) {
    throw corrupt(printKey(manifestKey), `was written for snapshot ${manifest.operatorId}@${manifest.version}`);
  }
  const chunks: unknown[] = [];
  for await (const [key, value] of kv.iterate({ gte: snapshotKey(operatorId, version, 0), lt: snapshotKey(operatorId, version, manifest.chunks) })) {
    const d = decodeKey(key);
    if (d.space !== "snapshot" || d.chunk !== chunks.length) break;
    chunks.push(decodeValue(key, value));
  }
  if (chunks.length !== manifest.chunks) {
    throw corrupt(printKey(snapshotKey(operatorId, version, chunks.length)), `is missing (the manifest lists ${manifest.chunks} chunks)`);
  }
  if (manifest.kind === "value") return { version, state: chunks[0] };
  const entries = (chunks as unknown[][]).flat();
  if (entries.length !== manifest.entries) throw corrupt(printKey(manifestKey), `lists ${manifest.entries} entries, the chunks hold ${entries.length}`);
  return { version, state: manifest.kind === "map" ? new Map(entries as [unknown, unknown][]) : entries };
}

/** Ops deleting an operator's snapshots with version below `below` (complete or not). */
export async function snapshotDeleteOps(kv: KvStore, operatorId: string, below: number): Promise<KvOp[]> {
  const ops: KvOp[] = [];
  for await (const key of kv.keys(snapshotRange(operatorId, 0, below))) ops.push({ type: "del", key });
  return ops;
}

function corrupt(name: string, what: string): StorageError {
  return new StorageError(ErrorCodes.STORAGE_CORRUPT, `Snapshot record ${name} ${what}; fall back to replaying deltas or an older snapshot.`, { key: name });
}

/** Versions of an operator's complete snapshots (those with a manifest), newest first. */
export async function snapshotVersions(kv: KvStore, operatorId: string): Promise<number[]> {
  const versions: number[] = [];
  for await (const key of kv.keys({ ...snapshotRange(operatorId), reverse: true })) {
    const d = decodeKey(key);
    if (d.space === "snapshot" && d.chunk === MANIFEST_CHUNK) versions.push(d.version);
  }
  return versions;
}

/** The complete snapshot of `version`, or undefined; a damaged record throws `STORAGE_CORRUPT` naming it. */
export async function snapshotAt(kv: KvStore, operatorId: string, version: number): Promise<SnapshotRecord | undefined> {
  const key = snapshotKey(operatorId, version, MANIFEST_CHUNK);
  const value = await kv.get(key);
  if (value === undefined) return undefined;
  return readSnapshot(kv, operatorId, version, key, decodeValue(key, value));
}
