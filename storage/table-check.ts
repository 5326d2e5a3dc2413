/**
 * Checks the checksums of every LevelDB table a checkpoint's manifest names, before LevelDB opens
 * the directory. LevelDB does not check table checksums on read unless asked, classic-level cannot
 * ask, and its build keeps LevelDB's assertions: a table with one flipped bit can abort the process
 * (SIGABRT, `internal_key.size() >= 8`) instead of returning an error. Checked first, such a table
 * is a `STORAGE_CORRUPT` error naming the file and block.
 *
 * Formats (LevelDB 1.20, doc/table_format.md and doc/log_format.md):
 * - CURRENT names the manifest; the manifest is a log of records (32 KiB blocks, each record a
 *   masked CRC-32C, a length and a type) holding version edits; the live tables are the files the
 *   edits add and do not delete.
 * - A table ends in a 48-byte footer (the metaindex and index block handles, padding, a magic
 *   number). The index block's values are the data blocks' handles; the metaindex's, the filter
 *   blocks'. Every block is followed by a type byte (0 plain, 1 Snappy) and the masked CRC-32C of
 *   the block and its type byte.
 *
 * Only what LevelDB itself trusts is judged here: tables the manifest does not name (one being
 * written when the process died, which LevelDB deletes on open) are not read, and a manifest this
 * reader cannot follow is left to LevelDB, which reports its damage as an error of its own.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCodes, StorageError } from "../errors.js";
import { crc32c } from "./crc32.js";
import { SnappyFormatError, snappyUncompress } from "./snappy.js";

const MASK_DELTA = 0xa282ead8;
const FOOTER = 48;
const TRAILER = 5;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const LOG_BLOCK = 32768;
const LOG_HEADER = 7;

/** What {@link checkLiveTables} read. */
export interface TableCheckSummary {
  /** False when there was nothing to check (a new directory) or the manifest was left to LevelDB. */
  checked: boolean;
  tables: number;
  blocks: number;
  bytes: number;
}

interface LiveTable {
  number: number;
  size: number;
}

/** A table that fails a check, saying what is wrong; {@link checkLiveTables} makes it a StorageError. */
export class TableDamage extends Error {}

const unmask = (masked: number): number => {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
};

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** A cursor over a byte range with LevelDB's varints. Every read fails with `onBad` past the end. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly onBad: (what: string) => Error,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift <= 63; shift += 7) {
      if (this.pos >= this.end) throw this.onBad("a number runs past the end");
      const b = this.bytes[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (!Number.isSafeInteger(value)) throw this.onBad("a number is too large");
        return value;
      }
    }
    throw this.onBad("a number is longer than 10 bytes");
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw this.onBad("a field runs past the end");
    this.pos += n;
  }

  /** A length-prefixed byte string, skipped. */
  skipSlice(): void {
    this.skip(this.varint());
  }
}

/** The manifest's records (a record split over blocks is joined); undefined where the log is not whole. */
function logRecords(bytes: Uint8Array): Uint8Array[] | undefined {
  const records: Uint8Array[] = [];
  let pending: Uint8Array[] | undefined;
  let pos = 0;
  while (pos < bytes.length) {
    const left = LOG_BLOCK - (pos % LOG_BLOCK);
    if (left < LOG_HEADER) {
      pos += left; // a block's tail too short for a header is padding
      continue;
    }
    if (pos + LOG_HEADER > bytes.length) break; // a header cut by a crash at the end: LevelDB stops there too
    const length = bytes[pos + 4]! | (bytes[pos + 5]! << 8);
    const type = bytes[pos + 6]!;
    const start = pos + LOG_HEADER;
    if (start + length > bytes.length) break;
    if (type === 0 && length === 0) {
      pos = start; // preallocated zeros (LevelDB skips them)
      continue;
    }
    if (unmask(u32(bytes, pos)) !== crc32c(bytes, pos + 6, start + length)) return undefined;
    const payload = bytes.subarray(start, start + length);
    pos = start + length;
    if (type === 1 && pending === undefined) records.push(payload);
    else if (type === 2 && pending === undefined) pending = [payload];
    else if (type === 3 && pending !== undefined) pending.push(payload);
    else if (type === 4 && pending !== undefined) {
      pending.push(payload);
      records.push(Buffer.concat(pending));
      pending = undefined;
    } else return undefined;
  }
  return records;
}

/** The tables the version edits leave live; undefined for an edit this reader does not know. */
function liveTables(records: Uint8Array[]): LiveTable[] | undefined {
  const live = new Map<string, LiveTable>();
  const bad = (): Error => new TableDamage("version edit");
  try {
    for (const record of records) {
      const r = new Reader(record, 0, record.length, bad);
      while (!r.done) {
        const tag = r.varint();
        if (tag === 1) r.skipSlice(); // comparator
        else if (tag === 2 || tag === 3 || tag === 4 || tag === 9) r.varint(); // log, next file, last sequence, previous log
        else if (tag === 5) (r.varint(), r.skipSlice()); // compaction pointer: level, key
        else if (tag === 6) live.delete(`${r.varint()}:${r.varint()}`); // deleted file: level, number
        else if (tag === 7) {
          const level = r.varint();
          const number = r.varint();
          const size = r.varint();
          r.skipSlice(); // smallest key
          r.skipSlice(); // largest key
          live.set(`${level}:${number}`, { number, size });
        } else return undefined;
      }
    }
  } catch (err) {
    if (err instanceof TableDamage) return undefined;
    throw err;
  }
  return [...live.values()];
}

/** One block of a table, as {@link tableBlocks} found it. */
export interface TableBlock {
  kind: "data" | "filter" | "index" | "metaindex";
  offset: number;
  size: number;
  /** The block's contents, uncompressed: for index blocks always, for the others when asked. */
  contents?: Uint8Array;
}

/**
 * The entries of a block's contents: prefix-compressed keys with their values, then the restart
 * points (table_format.md). Throws {@link TableDamage} naming `what` when they do not parse.
 */
export function blockEntries(contents: Uint8Array, what: string): { key: Uint8Array; value: Uint8Array }[] {
  const bad = (why: string): Error => new TableDamage(`the ${what} is malformed (${why})`);
  if (contents.length < 4) throw bad("shorter than its restart count");
  const restarts = u32(contents, contents.length - 4);
  const entriesEnd = contents.length - 4 - 4 * restarts;
  if (restarts === 0 || entriesEnd < 0) throw bad(`${restarts} restart points in ${contents.length} bytes`);
  const r = new Reader(contents, 0, entriesEnd, bad);
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  let key: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const shared = r.varint();
    const unshared = r.varint();
    const valueLength = r.varint();
    if (shared > key.length) throw bad("a key shares more bytes than the key before it has");
    const start = r.pos;
    r.skip(unshared);
    const next = new Uint8Array(shared + unshared);
    next.set(key.subarray(0, shared));
    next.set(contents.subarray(start, r.pos), shared);
    key = next;
    const valueAt = r.pos;
    r.skip(valueLength);
    out.push({ key, value: contents.subarray(valueAt, r.pos) });
  }
  return out;
}

/**
 * Every block of a table, checked: its bytes against the size the manifest records, the footer,
 * then each block the footer reaches (index, data, metaindex, filters) against its checksum and
 * type. Data and filter blocks are uncompressed only when `readAll`. Throws {@link TableDamage}
 * saying what is wrong.
 */
export function tableBlocks(bytes: Uint8Array, size: number, readAll = false): TableBlock[] {
  if (bytes.length < size) throw new TableDamage(`it is cut to ${bytes.length} bytes; the manifest records ${size}`);
  if (size < FOOTER) throw new TableDamage(`it is ${size} bytes, shorter than a table's footer`);
  const footer = size - FOOTER;
  if (u32(bytes, size - 8) !== MAGIC_LO || u32(bytes, size - 4) !== MAGIC_HI) throw new TableDamage("its footer's magic number is wrong");
  const f = new Reader(bytes, footer, size - 8, (what) => new TableDamage(`its footer is malformed (${what})`));
  const metaindexAt = { offset: f.varint(), size: f.varint() };
  const indexAt = { offset: f.varint(), size: f.varint() };
  const blocks: TableBlock[] = [];

  const block = (kind: TableBlock["kind"], at: { offset: number; size: number }, read: boolean): TableBlock => {
    const what = `${kind} block at byte ${at.offset} (${at.size} bytes)`;
    if (at.offset + at.size + TRAILER > footer) throw new TableDamage(`the ${what} runs past the table's last block`);
    const type = bytes[at.offset + at.size]!;
    if (unmask(u32(bytes, at.offset + at.size + 1)) !== crc32c(bytes, at.offset, at.offset + at.size + 1)) throw new TableDamage(`the ${what} fails its checksum`);
    if (type !== 0 && type !== 1) throw new TableDamage(`the ${what} has an unknown compression type ${type}`);
    const b: TableBlock = { kind, offset: at.offset, size: at.size };
    blocks.push(b);
    if (!read) return b;
    const raw = bytes.subarray(at.offset, at.offset + at.size);
    try {
      b.contents = type === 0 ? raw : snappyUncompress(raw);
    } catch (err) {
      if (err instanceof SnappyFormatError) throw new TableDamage(`the ${what} does not decompress (${err.message})`);
      throw err;
    }
    return b;
  };
  /** The block handle an index or metaindex entry holds as its value. */
  const handle = (value: Uint8Array, what: string): { offset: number; size: number } => {
    const r = new Reader(value, 0, value.length, (why) => new TableDamage(`the ${what} holds a malformed block handle (${why})`));
    return { offset: r.varint(), size: r.varint() };
  };

  const index = block("index", indexAt, true);
  for (const e of blockEntries(index.contents!, "index block")) block("data", handle(e.value, "index block"), readAll);
  const metaindex = block("metaindex", metaindexAt, true);
  for (const e of blockEntries(metaindex.contents!, "metaindex block")) block("filter", handle(e.value, "metaindex block"), readAll);
  return blocks;
}

/** The bytes of a table by its number: `NNNNNN.ldb`, or the older `NNNNNN.sst`; undefined if neither is there. */
async function readTable(dir: string, number: number): Promise<{ name: string; bytes: Buffer } | undefined> {
  for (const ext of ["ldb", "sst"]) {
    const name = `${String(number).padStart(6, "0")}.${ext}`;
    try {
      return { name, bytes: await readFile(join(dir, name)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new StorageError(ErrorCodes.STORAGE_IO, `Cannot read ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
    }
  }
  return undefined;
}

async function readIfThere(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StorageError(ErrorCodes.STORAGE_IO, `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Checks every live table of the LevelDB directory `dir` (see the module comment). Throws
 * `STORAGE_CORRUPT` naming the table and the block for a table that fails. A missing table is left
 * to LevelDB, which reports missing files itself.
 */
export async function checkLiveTables(dir: string): Promise<TableCheckSummary> {
  const summary: TableCheckSummary = { checked: false, tables: 0, blocks: 0, bytes: 0 };
  const current = (await readIfThere(join(dir, "CURRENT")))?.toString("latin1");
  if (current === undefined || !/^MANIFEST-\d+\n$/.test(current)) return summary;
  const manifest = await readIfThere(join(dir, current.trimEnd()));
  if (manifest === undefined) return summary;
  const records = logRecords(manifest);
  const tables = records === undefined ? undefined : liveTables(records);
  if (tables === undefined) return summary;
  summary.checked = true;
  for (const table of tables) {
    const file = await readTable(dir, table.number);
    if (file === undefined) continue;
    try {
      summary.blocks += tableBlocks(file.bytes, table.size).length;
    } catch (err) {
      if (!(err instanceof TableDamage)) throw err;
      throw new StorageError(
        ErrorCodes.STORAGE_CORRUPT,
        `Checkpoint directory ${dir} is damaged: in LevelDB table ${file.name}, ${err.message}. ` +
          "Opening it could abort the process (LevelDB does not check table checksums when it reads). " +
          "Restore the directory from a backup, or move it away and start from an empty checkpoint directory.",
        { key: file.name },
      );
    }
    summary.tables++;
    summary.bytes += table.size;
  }
  return summary;
}
