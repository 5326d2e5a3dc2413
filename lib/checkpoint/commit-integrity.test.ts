/**
 * Damage LevelDB absorbs without an error is caught by recovery and by `dstream inspect` alike:
 * a commit missing from the middle of the chain (LevelDB drops a damaged block of its log on
 * reopen) and a rollback (a damaged tail of the log takes the newest commits with it).
 */
import { copyFileSync, readdirSync, readFileSync, truncateSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { inspectCheckpoint } from "../../bin/inspect.js";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { COMMIT_MARK_FILE } from "../../storage/commit-mark.js";
import { commitKey } from "../../storage/keys.js";
import { LevelKv } from "../../storage/level-kv.js";
import { StreamingContext } from "../streaming-context.js";
import { runOnce } from "../test-support/run-once.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const temp = tempDirs("dstream-integrity-");
const BATCH = 1000;

/** Runs a running word count over `input` (one batch per array) on `dir`, from `startAt`, and stops. */
async function run(dir: string, input: string[][], startAt = 0): Promise<Map<number, [string, number][]>> {
  const out = new Map<number, [string, number][]>();
  await runOnce(dir, startAt, input.length, BATCH, (clock) => {
    const s = new StreamingContext({ batchDuration: BATCH, clock, checkpointOptions: { snapshotInterval: 100, retainBatches: 100 } });
    s.queueStream(input.map((b) => [...b]))
      .map((w): [string, number] => [w, 1])
      .updateStateByKey<string, number, number>((vs, st) => vs.length + (st ?? 0))
      .foreachRDD((rdd, t) => void out.set(t, rdd.collect()));
    return s;
  });
  return out;
}

const words = [["a"], ["b"], ["a"], ["c"], ["a"], ["b"]];

async function expectCorrupt(dir: string, mentions: string): Promise<void> {
  const restart = await run(dir, [["z"]], words.length * BATCH).catch((e: unknown) => e);
  expect(StreamingError.is(restart, ErrorCodes.STORAGE_CORRUPT), `restart: ${String(restart)}`).toBe(true);
  expect((restart as Error).message).toContain(mentions);
  const inspected = await inspectCheckpoint(dir).catch((e: unknown) => e);
  expect(StreamingError.is(inspected, ErrorCodes.STORAGE_CORRUPT), `inspect: ${String(inspected)}`).toBe(true);
  const err: string[] = [];
  expect(await main(["inspect", dir], { write: () => undefined }, { write: (t: string) => err.push(t) })).toBe(1);
  expect(err.join("")).toContain(ErrorCodes.STORAGE_CORRUPT);
}

/** The one LevelDB log file of a database written by a single run. */
function logFile(dir: string): string {
  const logs = readdirSync(dir).filter((f) => /^\d+\.log$/.test(f));
  expect(logs).toHaveLength(1);
  return join(dir, logs[0]!);
}

describe("commit chain and rollback", () => {
  it("a commit missing from the middle of the chain is DSTREAM_STORAGE_CORRUPT naming the missing batch, from restart and inspect", async () => {
    const dir = await temp();
    await run(dir, words);
    const kv = await LevelKv.open(dir);
    await kv.write([{ type: "del", key: commitKey(3000) }], { sync: true });
    await kv.close();
    await expectCorrupt(dir, "3000");
  });

  it("a log cut before the last commits (a rollback) is DSTREAM_STORAGE_CORRUPT, from restart and inspect", async () => {
    const dir = await temp();
    await run(dir, words);
    const log = logFile(dir);
    const at = readFileSync(log).indexOf(commitKey(5000));
    expect(at).toBeGreaterThan(0);
    // A torn tail: LevelDB drops the last, incomplete record on reopen and reports nothing.
    truncateSync(log, at - 8);
    await expectCorrupt(dir, "lost committed batches");
  });

  it("a commit mark one commit behind the database (a crash between the commit and the mark) is not an alarm", async () => {
    const dir = await temp();
    const backup = await temp();
    await run(dir, words.slice(0, 3));
    copyFileSync(join(dir, COMMIT_MARK_FILE), join(backup, COMMIT_MARK_FILE));
    const more = await run(dir, words.slice(3, 4), 3 * BATCH);
    expect(more.get(4000)).toEqual([["a", 2], ["b", 1], ["c", 1]]);
    copyFileSync(join(backup, COMMIT_MARK_FILE), join(dir, COMMIT_MARK_FILE));
    const after = await run(dir, [["a"]], 4 * BATCH);
    expect(after.get(5000)).toEqual([["a", 3], ["b", 1], ["c", 1]]);
    expect((await inspectCheckpoint(dir)).lastCommittedTime).toBe(5000);
  });

  it("a checkpoint whose commit mark file is emptied or gone is DSTREAM_STORAGE_CORRUPT", async () => {
    const emptied = await temp();
    await run(emptied, words);
    truncateSync(join(emptied, COMMIT_MARK_FILE), 0);
    await expectCorrupt(emptied, COMMIT_MARK_FILE);
    const gone = await temp();
    await run(gone, words);
    unlinkSync(join(gone, COMMIT_MARK_FILE));
    await expectCorrupt(gone, COMMIT_MARK_FILE);
  });
});
