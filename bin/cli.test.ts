import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, Receiver, StreamingContext } from "../index.js";
import { LevelKv } from "../storage/level-kv.js";
import { metaKey } from "../storage/keys.js";
import { main } from "./cli.js";
import type { InspectReport } from "./inspect.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";

const shim = fileURLToPath(new URL("./dstream.js", import.meta.url));
const tempDir = tempDirs("dstream-cli-");
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop().catch(() => undefined);
  ssc = undefined;
});

class Source extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
}

/** A job on a ManualClock: 3 committed batches of words with running totals; a 4th that fails if `failFourth`. */
async function makeCheckpoint(options: { failFourth?: boolean; keepOpen?: boolean } = {}): Promise<string> {
  const dir = join(await tempDir(), "cp");
  const clock = new ManualClock();
  const source = new Source();
  ssc = await StreamingContext.getOrCreate(dir, () => {
    const s = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: { snapshotInterval: 2 } });
    const words = s.receiverStream(source).map((w) => [w, 1] as [string, number]);
    words.updateStateByKey((ones: number[], n: number | undefined) => (n ?? 0) + ones.length).name("totals").foreachRDD(() => undefined);
    words.foreachRDD((_rdd, t) => {
      if (options.failFourth === true && t === 4000) throw new Error("boom");
    });
    return s;
  });
  await ssc.start();
  for (const [i, batch] of [["a", "b"], ["a"], ["c", "a"]].entries()) {
    await source.storeMany(batch, { offset: i + 1 });
    await clock.advance(1000);
  }
  if (options.failFourth === true) {
    await source.storeMany(["d"], { offset: 4 });
    await expect(clock.advance(1000)).rejects.toThrow();
  }
  if (options.keepOpen !== true) {
    await ssc.stop().catch(() => undefined);
    ssc = undefined;
  }
  return dir;
}

/** Runs the command in-process; returns its exit code and output. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

/** Names, sizes, modification times and contents of every file in `dir`. */
async function fingerprint(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const name of (await readdir(dir)).sort()) {
    const s = await stat(join(dir, name));
    hash.update(`${name} ${s.size} ${s.mtimeMs}\n`).update(await readFile(join(dir, name)));
  }
  return hash.digest("hex");
}

describe("dstream inspect", () => {
  it("reports format, times, WAL per receiver, state per operator and snapshots (--json)", async () => {
    const dir = await makeCheckpoint();
    const { code, out } = await run("inspect", dir, "--json");
    expect(code).toBe(0);
    const r = JSON.parse(out) as InspectReport;
    expect(r).toMatchObject({ initialized: true, formatVersion: 1, batchDuration: 1000, zeroTime: 0, jobId: expect.stringMatching(/^[0-9a-f]{16}$/), lastCommittedTime: 3000, pendingBatches: [] });
    expect(r.wal).toHaveLength(1);
    expect(r.wal[0]).toMatchObject({ receiverId: 0, lastOffset: 3 });
    expect(r.wal[0]?.bytes).toBeGreaterThan(0);
    // A snapshot every 2 batches: the state is the snapshot of batch 2000 plus the delta of 3000.
    expect(r.state).toEqual([{ operatorId: "totals", keys: 3, bytes: expect.any(Number), snapshotVersion: 2000, deltas: 1 }]);
    expect(r.snapshots).toEqual([{ operatorId: "totals", version: 2000, chunks: 1, bytes: expect.any(Number), complete: true }]);
  });

  it("prints a readable report, and leaves every file of the checkpoint as it was", async () => {
    const dir = await makeCheckpoint();
    const before = await fingerprint(dir);
    const { code, out } = await run("inspect", dir);
    expect(code).toBe(0);
    expect(out).toContain("format version      1");
    expect(out).toMatch(/\n {2}job id {14}[0-9a-f]{16}\n/);
    expect(out).toContain("last committed      3000 (1970-01-01T00:00:03.000Z)");
    expect(out).toMatch(/totals\s+3\s+\d+ B\s+2000\s+1\n/);
    expect(await fingerprint(dir)).toBe(before);
  });

  it("lists batches planned but not committed", async () => {
    const dir = await makeCheckpoint({ failFourth: true });
    const r = JSON.parse((await run("inspect", dir, "--json")).out) as InspectReport;
    expect(r.lastCommittedTime).toBe(3000);
    expect(r.pendingBatches).toEqual([4000]);
  });

  it("refuses a directory a running job holds: DSTREAM_STORAGE_LOCKED, exit 1", async () => {
    const dir = await makeCheckpoint({ keepOpen: true });
    const { code, err } = await run("inspect", dir);
    expect(code).toBe(1);
    expect(err).toMatch(/^error DSTREAM_STORAGE_LOCKED: Checkpoint directory .* is locked by process \d+/);
  });

  it("reports a corrupt record or a directory that is no checkpoint with its code, exit 1, no stack trace", async () => {
    const dir = await makeCheckpoint();
    const kv = await LevelKv.open(dir);
    await kv.write([{ type: "put", key: metaKey("checkpoint"), value: Buffer.from([1, 0, 0, 0, 0, 9, 9]) }], { sync: true });
    await kv.close();
    const corrupt = spawnSync(process.execPath, [shim, "inspect", dir], { encoding: "utf8" });
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr).toMatch(/^error DSTREAM_STORAGE_CORRUPT: .*meta\/checkpoint/);
    expect(corrupt.stderr).not.toMatch(/\n\s+at /);

    const empty = join(await tempDir(), "empty");
    await mkdir(empty);
    const { code, err, out } = await run("inspect", empty, "--json");
    expect(code).toBe(1);
    expect(err).toMatch(/^error DSTREAM_STORAGE_CORRUPT: .* is not a checkpoint directory/);
    expect(JSON.parse(out)).toMatchObject({ error: { code: "DSTREAM_STORAGE_CORRUPT" } });
    expect((await run("inspect", join(empty, "missing"))).err).toMatch(/^error DSTREAM_STORAGE_IO: Cannot read checkpoint directory .*: it does not exist\. Give the directory the job checkpoints to/);
  });

  it("prints usage for a wrong command line (exit 2)", async () => {
    expect((await run()).code).toBe(2);
    expect((await run("inspect")).err).toContain("usage: dstream inspect <checkpointDir> [--json]");
    // Each says what was wrong before the usage.
    expect((await run("inspect")).err).toMatch(/^error: inspect needs a checkpoint directory \(or --group <name>\)\n\nusage: /);
    expect((await run("inspekt", "cp")).err).toMatch(/^error: unknown command "inspekt"; the command is inspect\n/);
    expect((await run("inspect", "cp", "--jsn")).err).toMatch(/^error: unknown option "--jsn"\n/);
    expect((await run("inspect", "a", "b"))).toMatchObject({ code: 2, err: expect.stringMatching(/^error: inspect takes one checkpoint directory; got 2: a b\n/) });
    expect((await run("inspect", "--group")).err).toMatch(/^error: --group needs a value\n/);
    expect((await run("inspect", "--group", "g", "--lease", "5")).err).toMatch(/^error: unknown option or argument "--lease" for inspect --group\n/);
    expect((await run("--help")).code).toBe(0);
  });
});
