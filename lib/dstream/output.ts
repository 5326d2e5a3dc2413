import { mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { RDD } from "../rdd/rdd.js";
import { describe } from "../rdd/validate.js";
import type { Time } from "../time.js";
import { ForEachDStream, writePerGroupPartition, type DStream } from "./internal.js";

/**
 * How an output operation writes a record as text: strings as they are, anything else as JSON
 * (so `[k, v]` is `["w1",5]`). bigint is written as a JSON number.
 */
export function formatRecord(x: unknown): string {
  if (typeof x === "string") return x;
  if (x === undefined) return "undefined";
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v instanceof Map ? [...v] : v));
}

/** The text `print(num)` writes for one batch: Spark's header, `num` records, `...` if more. */
export function formatPrint(rdd: RDD<unknown>, time: Time, num: number): string {
  const first = rdd.take(num + 1);
  const lines = ["-------------------------------------------", `Time: ${time} ms`, "-------------------------------------------"];
  for (const x of first.slice(0, num)) lines.push(formatRecord(x));
  if (first.length > num) lines.push("...");
  lines.push("");
  return lines.join("\n");
}

/** Registers `print(num)` on `stream`. */
export function printStream<T>(stream: DStream<T>, num: number): void {
  if (typeof num !== "number") throw new TypeError(`print(num) expects a number of elements; got ${describe(num)}`);
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`print(num) expects a non-negative integer; got ${String(num)}`);
  new ForEachDStream(stream, (rdd, time) => console.log(formatPrint(rdd as RDD<unknown>, time, num)), "print", `print(${num})`);
}

/** The file `saveAsTextFiles(prefix, suffix)` writes for batch `time`. */
export function textFileName(prefix: string, suffix: string | undefined, time: Time, partition?: number): string {
  const base = partition === undefined ? `${prefix}-${time}` : `${prefix}-${time}-p${partition}`;
  return suffix === undefined || suffix === "" ? base : `${base}.${suffix}`;
}

/**
 * Registers `saveAsTextFiles`. Exactly-once: each batch is written to a temporary file, synced and
 * renamed over `${prefix}-${time}[.suffix]`; a batch re-run after a crash writes the same content
 * (batches are deterministic) and the rename replaces it, so exactly one whole file remains.
 */
export function saveAsTextFiles<T>(stream: DStream<T>, prefix: string, suffix?: string): void {
  if (typeof prefix !== "string" || prefix.length === 0) throw new TypeError(`saveAsTextFiles(prefix) expects a non-empty string; got ${String(prefix)}`);
  if (suffix !== undefined && typeof suffix !== "string") throw new TypeError(`saveAsTextFiles(prefix, suffix) expects a string suffix; got ${typeof suffix}`);
  new ForEachDStream(stream, (rdd, time) => writeBatch(stream, prefix, suffix, time, rdd as RDD<unknown>), "saveAsTextFiles", `saveAsTextFiles(${prefix})`);
}

/**
 * Writes batch `time`. A group member (DESIGN.md §10) writes one file per partition of the batch,
 * `${prefix}-${time}-p${p}[.suffix]`: members never write the same file, and a member that re-runs
 * a partition's batch after a failover writes the same content under the same name.
 */
function writeBatch(stream: DStream<unknown>, prefix: string, suffix: string | undefined, time: Time, rdd: RDD<unknown>): Promise<void> {
  return writePerGroupPartition(stream.ssc, rdd, (part, p) => writeTextFile(textFileName(prefix, suffix, time, p), part));
}

async function writeTextFile(path: string, rdd: RDD<unknown>): Promise<void> {
  const parts: string[] = [];
  rdd.forEachRecord((x) => parts.push(formatRecord(x), "\n"));
  // One fixed temporary name per batch: a batch re-run after a crash truncates and reuses the file
  // the crashed run left, so no temporary file outlives its batch. (The checkpoint lock keeps a
  // second job from writing the same batch.)
  const tmp = `${path}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  const file = await open(tmp, "w");
  try {
    await file.writeFile(parts.join(""));
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await file.close();
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory entry is; some platforms cannot open a directory.
  const handle = await open(dir, "r").catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
