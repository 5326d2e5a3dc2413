import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../errors.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";
import { CommitMark } from "./commit-mark.js";

const temp = tempDirs("dstream-mark-");

/** Writes marks for `times` in turn and closes. */
async function marked(dir: string, times: number[]): Promise<void> {
  const mark = await CommitMark.open(dir);
  for (const t of times) await mark.record(t);
  await mark.close();
}

/** The time the mark in `dir` holds (undefined: no mark), read and closed. */
async function timeIn(dir: string): Promise<number | undefined> {
  const mark = await CommitMark.open(dir);
  await mark.close();
  return mark.time;
}

describe("commit mark", () => {
  it("holds the newest recorded time across reopening; a directory without one has none", async () => {
    const dir = await temp();
    expect(await timeIn(dir)).toBeUndefined();
    await marked(dir, [1000, 2000, 3000]);
    const mark = await CommitMark.open(dir);
    expect(mark.time).toBe(3000);
    await mark.record(4000);
    await mark.close();
    expect(await timeIn(dir)).toBe(4000);
  });

  it("a torn newest slot leaves the one before it (the mark lags, never leads)", async () => {
    const dir = await temp();
    await marked(dir, [1000, 2000, 3000]); // seqs 0..2: 3000 sits in slot 0, 2000 in slot 1
    const bytes = readFileSync(CommitMark.path(dir));
    bytes[20] = bytes[20]! ^ 0x10; // inside slot 0's time
    writeFileSync(CommitMark.path(dir), bytes);
    expect(await timeIn(dir)).toBe(2000);
  });

  it("a mark with no valid slot is STORAGE_CORRUPT", async () => {
    const dir = await temp();
    await marked(dir, [1000]);
    writeFileSync(CommitMark.path(dir), Buffer.alloc(64, 7));
    const err = await CommitMark.open(dir).catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.STORAGE_CORRUPT), String(err)).toBe(true);
  });
});
