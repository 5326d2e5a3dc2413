/**
 * The on-disk key layout: the only module that knows how keys are built. Every key starts with its
 * space name and a 0x00 byte; numbers are fixed-width big-endian unsigned integers so that byte
 * order is numeric order (LevelDB sorts bytes), and string ids end with 0x00 so that no id's keys
 * fall inside another id's range ("op" vs "op2").
 *
 * | space      | fields                                   |
 * |------------|------------------------------------------|
 * | `wal`      | receiver id u32, block seq u64           |
 * | `walhead`  | receiver id u32 (newest block, kept when cleanup deletes every block) |
 * | `batch`    | batch time u64                           |
 * | `commit`   | batch time u64                           |
 * | `snapshot` | operator id, 0x00, version u64, chunk u32 (0xffffffff = manifest) |
 * | `sink`     | sink id, 0x00, batch time u64            |
 * | `meta`     | name                                     |
 */
import { readU32, readU64, u32, u64, idBytes } from "./key-fields.js";

/** Names of the key spaces. */
export type KeySpace = "wal" | "walhead" | "batch" | "commit" | "snapshot" | "sink" | "meta";

/** A key range as LevelDB takes it: `gte` inclusive, `lt` exclusive. */
export interface KeyRange {
  gte: Buffer;
  lt: Buffer;
}

/** The chunk number that marks a snapshot's manifest; it sorts after every data chunk. */
export const MANIFEST_CHUNK = 0xffff_ffff;

const prefixes = new Map<KeySpace, Buffer>(
  (["wal", "walhead", "batch", "commit", "snapshot", "sink", "meta"] as const).map((s) => [s, Buffer.from(`${s}\0`, "latin1")]),
);

function prefix(space: KeySpace): Buffer {
  return prefixes.get(space)!;
}

/** The first key after every key that starts with `p` (its last byte plus one). */
function after(p: Buffer): Buffer {
  const end = Buffer.from(p);
  // Trailing 0xff bytes cannot be incremented; dropping them still bounds every key below.
  let i = end.length - 1;
  while (i >= 0 && end[i] === 0xff) i--;
  if (i < 0) throw new RangeError("a key prefix of only 0xff bytes has no successor");
  end[i] = end[i]! + 1;
  return end.subarray(0, i + 1);
}

/** The range of every key in a space. */
export function spaceRange(space: KeySpace): KeyRange {
  const p = prefix(space);
  return { gte: p, lt: after(p) };
}

/** Key of WAL block `seq` of receiver `receiverId`. */
export function walKey(receiverId: number, seq: number): Buffer {
  return Buffer.concat([prefix("wal"), u32(receiverId, "receiverId"), u64(seq, "seq")]);
}

/** Range of a receiver's WAL blocks with `fromSeq <= seq < toSeq` (whole log when omitted). */
export function walRange(receiverId: number, fromSeq = 0, toSeq?: number): KeyRange {
  const p = Buffer.concat([prefix("wal"), u32(receiverId, "receiverId")]);
  return { gte: walKey(receiverId, fromSeq), lt: toSeq === undefined ? after(p) : walKey(receiverId, toSeq) };
}

/** Key of a receiver's head record (its newest block's seq and offset, kept across cleanup). */
export function walHeadKey(receiverId: number): Buffer {
  return Buffer.concat([prefix("walhead"), u32(receiverId, "receiverId")]);
}

/** Key of the batch plan for `time`. */
export function batchKey(time: number): Buffer {
  return Buffer.concat([prefix("batch"), u64(time, "time")]);
}

/** Range of batch plans with `from <= time < to`. */
export function batchRange(from = 0, to?: number): KeyRange {
  return { gte: batchKey(from), lt: to === undefined ? spaceRange("batch").lt : batchKey(to) };
}

/** Key of the commit record for `time`. */
export function commitKey(time: number): Buffer {
  return Buffer.concat([prefix("commit"), u64(time, "time")]);
}

/** Range of commit records with `from <= time < to`. */
export function commitRange(from = 0, to?: number): KeyRange {
  return { gte: commitKey(from), lt: to === undefined ? spaceRange("commit").lt : commitKey(to) };
}

/** Key of chunk `chunk` (or the manifest, {@link MANIFEST_CHUNK}) of a snapshot. */
export function snapshotKey(operatorId: string, version: number, chunk: number): Buffer {
  return Buffer.concat([prefix("snapshot"), idBytes(operatorId, "operatorId"), u64(version, "version"), u32(chunk, "chunk")]);
}

/** Range of an operator's snapshot keys with `from <= version < to`, every chunk and manifest. */
export function snapshotRange(operatorId: string, from = 0, to?: number): KeyRange {
  const p = Buffer.concat([prefix("snapshot"), idBytes(operatorId, "operatorId")]);
  return { gte: snapshotKey(operatorId, from, 0), lt: to === undefined ? after(p) : snapshotKey(operatorId, to, 0) };
}

/** Key of sink `sinkId`'s ledger entry for `time`. */
export function sinkKey(sinkId: string, time: number): Buffer {
  return Buffer.concat([prefix("sink"), idBytes(sinkId, "sinkId"), u64(time, "time")]);
}

/** Range of a sink's ledger entries with `from <= time < to`. */
export function sinkRange(sinkId: string, from = 0, to?: number): KeyRange {
  const p = Buffer.concat([prefix("sink"), idBytes(sinkId, "sinkId")]);
  return { gte: sinkKey(sinkId, from), lt: to === undefined ? after(p) : sinkKey(sinkId, to) };
}

/** Key of the meta record `name` (the checkpoint's is `checkpoint`). */
export function metaKey(name: string): Buffer {
  return Buffer.concat([prefix("meta"), Buffer.from(name, "utf8")]);
}

/** A key taken apart; `unknown` for bytes this layout did not write. */
export type DecodedKey =
  | { space: "wal"; receiverId: number; seq: number }
  | { space: "walhead"; receiverId: number }
  | { space: "batch" | "commit"; time: number }
  | { space: "snapshot"; operatorId: string; version: number; chunk: number }
  | { space: "sink"; sinkId: string; time: number }
  | { space: "meta"; name: string }
  | { space: "unknown" };

/** Takes a key apart. Never throws: unknown or malformed keys decode as `{ space: "unknown" }`. */
export function decodeKey(key: Uint8Array): DecodedKey {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const sep = b.indexOf(0);
  const space = sep < 0 ? "" : b.toString("latin1", 0, sep);
  const rest = b.subarray(sep + 1);
  switch (space) {
    case "wal":
      return rest.length === 12 ? { space, receiverId: readU32(rest, 0), seq: readU64(rest, 4) } : { space: "unknown" };
    case "walhead":
      return rest.length === 4 ? { space, receiverId: readU32(rest, 0) } : { space: "unknown" };
    case "batch":
    case "commit":
      return rest.length === 8 ? { space, time: readU64(rest, 0) } : { space: "unknown" };
    case "snapshot": {
      const end = rest.indexOf(0);
      if (end < 1 || rest.length !== end + 13) return { space: "unknown" };
      const operatorId = rest.toString("utf8", 0, end);
      return { space, operatorId, version: readU64(rest, end + 1), chunk: readU32(rest, end + 9) };
    }
    case "sink": {
      const end = rest.indexOf(0);
      if (end < 1 || rest.length !== end + 9) return { space: "unknown" };
      return { space, sinkId: rest.toString("utf8", 0, end), time: readU64(rest, end + 1) };
    }
    case "meta":
      return { space, name: rest.toString("utf8") };
    default:
      return { space: "unknown" };
  }
}

const hex = (n: number): string => n.toString(16).padStart(16, "0");

/** A printable form for messages, e.g. `wal/3/000000000000002a` (u64 fields in hex, as stored). */
export function printKey(key: Uint8Array): string {
  const k = decodeKey(key);
  switch (k.space) {
    case "wal":
      return `wal/${k.receiverId}/${hex(k.seq)}`;
    case "walhead":
      return `walhead/${k.receiverId}`;
    case "batch":
    case "commit":
      return `${k.space}/${hex(k.time)}`;
    case "snapshot":
      return `snapshot/${k.operatorId}/${hex(k.version)}/${k.chunk === MANIFEST_CHUNK ? "manifest" : k.chunk}`;
    case "sink":
      return `sink/${k.sinkId}/${hex(k.time)}`;
    case "meta":
      return `meta/${k.name}`;
    default:
      return `?${Buffer.from(key).toString("hex")}`;
  }
}
