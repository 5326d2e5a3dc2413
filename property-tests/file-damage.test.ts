/**
 * Damage to the files of a stopped checkpoint, as a disk or a careless copy does it: one random
 * bit flipped, or the file cut at a random length, in one of LevelDB's files (the `.log`, an
 * `.ldb` table, the MANIFEST, CURRENT) or the commit mark. LevelDB absorbs much of this without an
 * error (it drops a damaged log block on reopen, and does not check table checksums on read).
 * Every case must be either exactly the answer of an undamaged restart, or a coded error from
 * both the restart and `dstream inspect`: never a wrong answer, and never a crash of the process.
 * LevelDB aborts the process (a native assertion) reading some damaged tables, so the engine checks
 * table checksums before it opens (storage/table-check.ts); each damaged copy is also opened with
 * plain LevelDB in a child process, and an abort there on a copy the check passed fails the test.
 *
 * The checkpoint is written by two runs (so it holds tables, a log and a commit mark), then a third
 * run continues from a damaged copy and is compared with the same run on an undamaged copy.
 *
 * Replay: DSTREAM_SEED=<seed printed> [DSTREAM_PATH=<path>] npx vitest run property-tests/file-damage.test.ts
 * Deep (250 cases): DSTREAM_DEEP=1 npx vitest run property-tests/file-damage.test.ts
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { inspectCheckpoint } from "../bin/inspect.js";
import { ErrorCodes, StreamingError } from "../errors.js";
import { ManualClock } from "../lib/clock.js";
import { StateSpec, type DStream } from "../lib/dstream/internal.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { COMMIT_MARK_FILE } from "../storage/commit-mark.js";
import { checkLiveTables } from "../storage/table-check.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { asCompared, canonical, replayParams, runs } from "./support/seed.js";
import { SourceReceiver } from "./support/source-receiver.js";

const BATCH = 1000;
const CASES = runs(12, 250);
/** Batches of the two runs that write the checkpoint, and of the run that continues from it. */
const FIRST_RUN = 5;
const SECOND_RUN = 9;
const TOTAL = 12;

/**
 * Records long enough that the log spans several of LevelDB's 32 KiB blocks, so a damaged block in
 * the middle leaves later ones (and later commits) behind it.
 */
const CHUNKS: string[][] = Array.from({ length: TOTAL }, (_, b) => Array.from({ length: 12 + (b % 5) }, (_, i) => `w${(b * 7 + i * 3) % 11}:${"x".repeat(700 + ((b + i) % 50))}`));

type Outcome = { ok: true; outputs: Map<string, string>; state: string } | { ok: false; error: unknown };

function pipeline(s: DStream<string>, record: (name: string, t: number, xs: unknown[]) => void): void {
  const pairs = s.map((r): [string, number] => [r.slice(0, r.indexOf(":")), r.length % 7]);
  pairs.updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0)).foreachRDD((r, t) => record("usbk", t, r.collect()));
  pairs
    .mapWithState(
      StateSpec.function<string, number, number, string>((k, v, st) => {
        if (st.isTimingOut()) return `${k} timed out`;
        st.update((st.getOption() ?? 0) + (v ?? 0));
        return `${k}=${st.get()}`;
      }).timeout(3 * BATCH),
    )
    .foreachRDD((r, t) => record("mws", t, r.collect()));
  pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3 * BATCH, BATCH).foreachRDD((r, t) => record("rbkaw", t, r.collect()));
  s.window(2 * BATCH, BATCH).count().foreachRDD((r, t) => record("window", t, r.collect()));
}

/** One process on `dir`: recovers (or starts), runs batches `from..to-1`, stops. Errors are returned, never thrown. */
async function runProcess(dir: string, from: number, to: number): Promise<Outcome> {
  const outputs = new Map<string, string>();
  const clock = new ManualClock(from * BATCH);
  const receiver = new SourceReceiver<string>(CHUNKS);
  let ssc: StreamingContext | undefined;
  try {
    ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = new StreamingContext({ batchDuration: BATCH, clock, checkpointOptions: { snapshotInterval: 2, retainBatches: 2 } });
      pipeline(s.receiverStream(receiver), (name, t, xs) => outputs.set(`${name}@${t}`, asCompared(xs)));
      return s;
    });
    await ssc.start();
    for (let b = from; b < to; b++) {
      await receiver.feedTo(b + 1);
      await clock.advance(BATCH);
    }
    const state = canonical(ssc.graph.stateOperators.map((op) => [op.operatorId, op.snapshot()]));
    await ssc.stop();
    return { ok: true, outputs, state };
  } catch (err) {
    // A receiver refused after the context stopped: the error that stopped it is the one to judge.
    const stopped = ssc === undefined ? undefined : await ssc.awaitTermination().then(() => undefined, (e: unknown) => e);
    await ssc?.stop().catch(() => undefined);
    return { ok: false, error: stopped ?? err };
  }
}

const DAMAGEABLE = [/^\d+\.log$/, /^\d+\.ldb$/, /^MANIFEST-\d+$/, /^CURRENT$/, new RegExp(`^${COMMIT_MARK_FILE}$`)];

let root: string;
let base: string;
let reference: Outcome;
const outcomes = new Map<string, number>();

async function copyOf(name: string): Promise<string> {
  const dir = join(root, name);
  cpSync(base, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "dstream-file-damage-"));
  base = join(root, "base");
  for (const [from, to] of [[0, FIRST_RUN], [FIRST_RUN, SECOND_RUN]] as const) {
    const r = await runProcess(base, from, to);
    if (!r.ok) throw r.error;
  }
  reference = await runProcess(await copyOf("reference"), SECOND_RUN, TOTAL);
  if (!reference.ok) throw reference.error;
}, 120_000);

afterAll(async () => {
  console.log(`[file-damage] outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
  await rm(root, { recursive: true, force: true });
});

/**
 * True when opening and reading a copy of the store in `dir` with plain LevelDB aborts a child
 * process (LevelDB's native assertions, compiled into the build, abort instead of returning an
 * error on some damage to a table).
 */
function levelAborts(dir: string): boolean {
  const probe = `${dir}-probe`;
  cpSync(dir, probe, { recursive: true });
  try {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL("./support/level-probe.mjs", import.meta.url)), probe], { stdio: "ignore", timeout: 60_000 });
    return r.signal === "SIGABRT";
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const codeOf = (err: unknown): string => (StreamingError.is(err) ? err.code : `uncoded ${String(err)}`);

it(`a flipped bit or a truncated file gives the right answer or a coded error from restart and inspect (${CASES} cases)`, async () => {
  const files = readdirSync(base).filter((f) => DAMAGEABLE.some((re) => re.test(f)));
  // Every kind of file is there to damage: the two runs left tables, a log, a manifest and a mark.
  for (const re of DAMAGEABLE) expect(files.some((f) => re.test(f)), `${re} among ${files.join(", ")}`).toBe(true);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...files), fc.constantFrom("flip" as const, "truncate" as const), fc.noBias(fc.integer({ min: 0, max: 999_999 })), fc.nat(7), async (file, how, where, bit) => {
      const dir = await copyOf(`case-${n++}`);
      const path = join(dir, file);
      const size = statSync(path).size;
      // Anywhere in the file, uniformly: a biased draw would damage byte 0 over and over.
      const at = Math.floor((where / 1_000_000) * size);
      if (how === "flip") {
        const bytes = readFileSync(path);
        fc.pre(bytes.length > 0);
        bytes[at] = bytes[at]! ^ (1 << bit);
        writeFileSync(path, bytes);
      } else {
        truncateSync(path, at);
      }
      const what = `${file} (${size} bytes) ${how === "flip" ? `bit ${bit} of byte ${at} flipped` : `truncated to ${at} bytes`}`;
      const kind = file.replace(/^\d+/, "N").replace(/-\d+$/, "-N");
      // The engine's table check must catch every damage that makes LevelDB abort: were it to miss
      // one, the restart below would take the test runner down, so plain LevelDB tries it first.
      const tablesPass = await checkLiveTables(dir).then(
        () => true,
        () => false,
      );
      if (tablesPass && levelAborts(dir)) {
        await rm(dir, { recursive: true, force: true });
        expect.fail(`${what}: the table check passed it, but LevelDB aborts the process reading it (native assertion, SIGABRT)`);
      }
      const inspected = await inspectCheckpoint(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      const got = await runProcess(dir, SECOND_RUN, TOTAL);
      await rm(dir, { recursive: true, force: true });
      if (!got.ok) {
        expect(StreamingError.is(got.error), `${what}: restart failed without a code: ${String(got.error)}`).toBe(true);
        expect([ErrorCodes.STORAGE_CORRUPT, ErrorCodes.STORAGE_IO], `${what}: ${String(got.error)}`).toContain(codeOf(got.error));
        expect(inspected, `${what}: restart failed with ${codeOf(got.error)}, but inspect passed`).toBeDefined();
        expect(StreamingError.is(inspected), `${what}: inspect failed without a code: ${String(inspected)}`).toBe(true);
        outcomes.set(`${kind} ${how}: ${codeOf(got.error)}`, (outcomes.get(`${kind} ${how}: ${codeOf(got.error)}`) ?? 0) + 1);
        return;
      }
      if (!reference.ok) throw reference.error;
      expect([...got.outputs.keys()], `${what}: the batches run after the restart`).toEqual([...reference.outputs.keys()]);
      for (const [k, out] of got.outputs) expect(out, `${what}: ${k}`).toBe(reference.outputs.get(k));
      expect(got.state, `${what}: final state`).toBe(reference.state);
      const label = `${kind} ${how}: right answer${inspected === undefined ? "" : ` (inspect ${codeOf(inspected)})`}`;
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    }),
    { ...replayParams("file-damage"), numRuns: CASES },
  );
}, 1_200_000);
