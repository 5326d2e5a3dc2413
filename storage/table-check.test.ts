/**
 * The table check (table-check.ts) against tables LevelDB wrote: whole tables pass and read back
 * every key through our own Snappy and block parsing; a flipped bit anywhere a table's blocks or
 * footer handles cover is caught; a cut table is caught; a table the manifest does not name is
 * left to LevelDB; and opening a store with a damaged table is STORAGE_CORRUPT naming the table.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCodes, StorageError } from "../errors.js";
import { prng } from "../lib/test-support/prng.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";
import { crc32c } from "./crc32.js";
import { collect } from "./kv.js";
import { LevelKv } from "./level-kv.js";
import { blockEntries, checkLiveTables, TableDamage, tableBlocks } from "./table-check.js";

const temp = tempDirs("dstream-table-check-");

const key = (i: number): Buffer => Buffer.from(`key-${String(i).padStart(6, "0")}`);
/**
 * Values that Snappy shrinks (runs) and, for keys 100-199, 300-399, …, values it cannot (random
 * bytes), which fill whole blocks that LevelDB stores uncompressed: tables hold both block types.
 */
const value = (i: number, random: () => number): Buffer =>
  Math.floor(i / 100) % 2 === 0 ? Buffer.from(`v${i}:`.repeat(20 + (i % 30))) : Buffer.from(Array.from({ length: 60 + (i % 90) }, () => Math.floor(random() * 256)));

/** A store with `n` keys in tables (written, closed, reopened: the reopen flushes the log into a table). */
async function storeWithTables(n: number, seed: number): Promise<string> {
  const dir = await temp();
  const random = prng(seed);
  let kv = await LevelKv.open(dir);
  for (let from = 0; from < n; from += 500) {
    await kv.write(
      Array.from({ length: Math.min(500, n - from) }, (_, j) => ({ type: "put" as const, key: key(from + j), value: value(from + j, random) })),
      { sync: false },
    );
  }
  await kv.close();
  kv = await LevelKv.open(dir);
  await kv.close();
  return dir;
}

const tables = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith(".ldb"));

describe("crc32c", () => {
  it("matches the CRC-32C check values (RFC 3720 B.4)", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    // A range of a larger buffer, across the 8-byte fast path's boundary.
    const b = Buffer.from("xx123456789yy");
    expect(crc32c(b, 2, 11)).toBe(0xe3069283);
  });
});

describe("the LevelDB table check", () => {
  it("passes whole tables, and reading every data block with it gives back every key written", async () => {
    const n = 3000;
    const dir = await storeWithTables(n, 11);
    const summary = await checkLiveTables(dir);
    expect(summary.checked).toBe(true);
    expect(summary.tables).toBe(tables(dir).length);
    expect(summary.tables).toBeGreaterThan(0);
    const keys: string[] = [];
    const types = new Set<number>();
    for (const name of tables(dir)) {
      const bytes = readFileSync(join(dir, name));
      for (const b of tableBlocks(bytes, bytes.length, true)) {
        if (b.kind !== "data") continue;
        types.add(bytes[b.offset + b.size]!);
        // An internal key is the user key and 8 bytes of sequence and type.
        for (const e of blockEntries(b.contents!, "data block")) keys.push(Buffer.from(e.key.subarray(0, e.key.length - 8)).toString());
      }
    }
    expect(types).toEqual(new Set([0, 1])); // both plain and Snappy-compressed blocks were read
    expect(keys.sort()).toEqual(Array.from({ length: n }, (_, i) => key(i).toString()));
  });

  it("catches one flipped bit in any byte of a table, but where the footer still names the same blocks", async () => {
    const dir = await storeWithTables(300, 12);
    const [name] = tables(dir);
    const original = readFileSync(join(dir, name!));
    const size = original.length;
    // The footer: two block handles (varints), padding to 40 bytes, the 8-byte magic number.
    const blocks = tableBlocks(original, size);
    const handlesEnd = footerHandlesEnd(original);
    const handles = footerHandles(original);
    const given = process.env.DSTREAM_SEED;
    const seed = given !== undefined && given !== "" ? Number(given) : Math.floor(Math.random() * 2 ** 31);
    console.log(`[table-check] flip seed ${seed} (replay: DSTREAM_SEED=${seed})`);
    const random = prng(seed);
    let caught = 0;
    for (let at = 0; at < size; at++) {
      const bytes = Buffer.from(original);
      const bit = Math.floor(random() * 8);
      bytes[at] = bytes[at]! ^ (1 << bit);
      // Harmless to LevelDB too, which reads the footer's handles and ignores the rest: a flip in
      // the padding, or one that re-encodes a handle to the same value (the continuation bit of a
      // handle's last byte, followed by a zero byte of padding).
      const harmless = (at >= handlesEnd && at < size - 8) || (at >= size - 48 && at < size - 8 && sameHandles(footerHandles(bytes), handles));
      let damage: unknown;
      try {
        tableBlocks(bytes, size);
      } catch (err) {
        damage = err;
      }
      if (harmless) expect(damage, `byte ${at} (footer, same blocks named), bit ${bit}`).toBeUndefined();
      else {
        expect(damage, `byte ${at} of ${size}, bit ${bit}: not caught`).toBeInstanceOf(TableDamage);
        caught++;
      }
    }
    // Every byte of the blocks and their trailers, and the magic number.
    expect(caught).toBeGreaterThanOrEqual(size - 48 + 8);
    expect(blocks.length).toBeGreaterThan(2);
  });

  it("catches a table cut at any length", async () => {
    const dir = await storeWithTables(300, 13);
    const [name] = tables(dir);
    const bytes = readFileSync(join(dir, name!));
    for (let at = 0; at < bytes.length; at += 7) expect(() => tableBlocks(bytes.subarray(0, at), bytes.length), `cut to ${at}`).toThrow(TableDamage);
  });

  it("opening a store whose table is damaged is STORAGE_CORRUPT naming the table and block", async () => {
    const dir = await storeWithTables(300, 14);
    const [name] = tables(dir);
    const path = join(dir, name!);
    const bytes = readFileSync(path);
    const data = tableBlocks(bytes, bytes.length).find((b) => b.kind === "data")!;
    bytes[data.offset + 3] = bytes[data.offset + 3]! ^ 0x10;
    writeFileSync(path, bytes);
    const err = await LevelKv.open(dir).then(
      (kv) => kv.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe(ErrorCodes.STORAGE_CORRUPT);
    expect((err as StorageError).key).toBe(name);
    expect((err as StorageError).message).toContain(`in LevelDB table ${name}, the data block at byte ${data.offset} (${data.size} bytes) fails its checksum`);
  });

  it("leaves a table the manifest does not name (one a crash cut mid-compaction) to LevelDB, which deletes it", async () => {
    const dir = await storeWithTables(300, 15);
    const orphan = join(dir, "000900.ldb");
    writeFileSync(orphan, Buffer.from("half a table, cut by a crash"));
    const kv = await LevelKv.open(dir);
    expect(await collect(kv.keys({}))).toHaveLength(300);
    await kv.close();
    expect(() => statSync(orphan)).toThrow(/ENOENT/);
  });

  it("checks nothing in a new directory or one whose manifest it cannot follow, and leaves that to LevelDB", async () => {
    expect((await checkLiveTables(await temp())).checked).toBe(false);
    const dir = await storeWithTables(300, 16);
    const manifest = readdirSync(dir).find((f) => f.startsWith("MANIFEST-"))!;
    const bytes = readFileSync(join(dir, manifest));
    bytes[10] = bytes[10]! ^ 1; // inside the first record's payload: its checksum fails
    writeFileSync(join(dir, manifest), bytes);
    expect((await checkLiveTables(dir)).checked).toBe(false);
    const err = await LevelKv.open(dir).then(
      (kv) => kv.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect((err as StorageError).code).toBe(ErrorCodes.STORAGE_CORRUPT);
  });
});

/** The footer's four varints (metaindex offset and size, index offset and size), as LevelDB decodes them; undefined if malformed. */
function footerHandles(bytes: Uint8Array): number[] | undefined {
  const out: number[] = [];
  let pos = bytes.length - 48;
  for (let i = 0; i < 4; i++) {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= bytes.length - 8 || shift > 63) return undefined;
      const b = bytes[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    out.push(value);
  }
  return out;
}

const sameHandles = (a: number[] | undefined, b: number[] | undefined): boolean => a !== undefined && b !== undefined && a.every((v, i) => v === b[i]);

/** Where the footer's two block handles end (the padding starts). */
function footerHandlesEnd(bytes: Uint8Array): number {
  let pos = bytes.length - 48;
  for (let varints = 0; varints < 4; pos++) if (bytes[pos]! < 0x80) varints++;
  return pos;
}
