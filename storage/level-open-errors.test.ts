/**
 * Opening and reading a damaged or unusable LevelDB directory gives a coded error, in bounded time:
 * a truncated table file is STORAGE_CORRUPT (LevelDB reports it as an I/O error, "Invalid
 * argument"), and a directory that cannot be created (under /proc) is STORAGE_IO instead of a hang.
 */
import { readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../errors.js";
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";
import { openCheckpointStore } from "./checkpoint-store.js";
import { collect } from "./kv.js";

const temp = tempDirs("dstream-open-errors-");

/** A database whose records sit in a table file (.ldb): written, closed, reopened (which flushes the log). */
async function tableDir(): Promise<{ dir: string; table: string }> {
  const dir = await temp();
  let store = await openCheckpointStore(dir);
  for (let i = 0; i < 50; i++) await store.kv.write([{ type: "put", key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i) }], { sync: false });
  await store.close();
  store = await openCheckpointStore(dir);
  await store.close();
  const table = readdirSync(dir).find((f) => f.endsWith(".ldb"));
  if (table === undefined) throw new Error(`no table file in ${dir}: ${readdirSync(dir).join(", ")}`);
  return { dir, table: join(dir, table) };
}

describe("LevelDB errors on open and read", () => {
  it("a truncated table file is STORAGE_CORRUPT, not STORAGE_IO", async () => {
    const { dir, table } = await tableDir();
    expect(statSync(table).size).toBeGreaterThan(100);
    truncateSync(table, 100);
    const err = await (async () => {
      const store = await openCheckpointStore(dir);
      try {
        await collect(store.kv.keys({}));
      } finally {
        await store.close();
      }
    })().catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.STORAGE_CORRUPT), String(err)).toBe(true);
    expect((err as Error).message).toContain(".ldb");
  });

  it("a checkpoint directory that cannot be created fails with STORAGE_IO in bounded time (no hang)", async () => {
    const started = Date.now();
    const err = await openCheckpointStore("/proc/dstream-cannot-exist/checkpoint").catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.STORAGE_IO), String(err)).toBe(true);
    expect((err as Error).message).toContain("/proc/dstream-cannot-exist");
    expect(Date.now() - started).toBeLessThan(5000);
  }, 10_000);

  it("getOrCreate under /proc fails with STORAGE_IO", async () => {
    const err = await StreamingContext.getOrCreate("/proc/dstream-cannot-exist", () => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
      ssc.queueStream([["a"]]).foreachRDD(() => undefined);
      return ssc;
    }).catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.STORAGE_IO), String(err)).toBe(true);
  }, 10_000);
});
