/**
 * Real processes: a child job (jobs/counting-job.ts) on real LevelDB with the SystemClock is
 * killed with SIGKILL again and again and restarted until its input is consumed. Kills come from
 * crash points inside the job (DSTREAM_CRASH_AT: after a WAL append, before the commit write,
 * after the commit before cleanup, during a snapshot, during cleanup), each armed only after a
 * commit that holds state, and from the parent at random moments. Then the exactly-once sinks must
 * hold every record exactly once, each batch's counts must be the running counts of the records
 * of the batches up to it, and the final state must equal the expected counts.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/sigkill.test.ts
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { CRASH_POINTS, type CrashPoint } from "./jobs/kill-switch-kv.js";
import { expectedCounts, keyOf } from "./jobs/numbered-source.js";
import { runChild, type ChildRun } from "./support/child-job.js";
import { deep, prng, seedFor } from "./support/seed.js";

const RECORDS = deep ? 20_000 : 4_000;
const ROUNDS_OF_CRASH_POINTS = deep ? 3 : 1;
const PARENT_KILLS = deep ? 40 : 8;
// Deadlines, not expectations: a child on a busy 2-core machine can take many seconds to start.
const CHILD_TIMEOUT = 120_000;

const root = mkdtempSync(join(tmpdir(), "dstream-sigkill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const job = fileURLToPath(new URL("./jobs/counting-job.ts", import.meta.url));

/**
 * Runs the job once. `crashAt`: the crash point it kills itself at; `killAfterMs`: the parent kills
 * it that long after its first commit.
 */
async function runJob(env: Record<string, string>, killAfterMs: number | undefined): Promise<ChildRun & { done: string | undefined }> {
  let done: string | undefined;
  const run = await runChild(job, env, killAfterMs, (line) => {
    if (line.startsWith("done ")) done = line.slice(5);
  }, CHILD_TIMEOUT);
  return { ...run, done };
}

it(`a job SIGKILLed at crash points and at random moments keeps its sinks exactly-once`, async () => {
  const seed = seedFor("sigkill");
  const random = prng(seed);
  const dir = join(root, "checkpoint");
  const out = join(root, "out");
  mkdirSync(out);
  const base = { DSTREAM_JOB_DIR: dir, DSTREAM_JOB_OUT: out, DSTREAM_JOB_RECORDS: String(RECORDS) };
  const plan: ({ point: CrashPoint } | { afterMs: number })[] = [];
  for (let r = 0; r < ROUNDS_OF_CRASH_POINTS; r++) for (const point of [...CRASH_POINTS].sort(() => random() - 0.5)) plan.push({ point });
  for (let k = 0; k < PARENT_KILLS; k++) plan.push({ afterMs: Math.floor(random() * 250) });

  const kills: string[] = [];
  let done: string | undefined;
  let runsLeft = plan.length + 5;
  while (done === undefined) {
    if (runsLeft-- === 0) throw new Error(`job not done after ${plan.length + 5} runs; kills: ${kills.join("; ")}`);
    const step = plan.shift();
    const env = step !== undefined && "point" in step ? { ...base, DSTREAM_CRASH_AT: step.point, DSTREAM_CRASH_SKIP: String(Math.floor(random() * 3)) } : base;
    const run = await runJob(env, step !== undefined && "afterMs" in step ? step.afterMs : undefined);
    if (run.killed) kills.push(run.crashPoint ?? `parent kill after ${(step as { afterMs: number }).afterMs} ms`);
    done = run.done;
  }
  console.log(`[sigkill] ${kills.length} kills survived: ${kills.join("; ")}`);

  // A write killed half-way leaves `<file>.tmp`; its batch is re-run after the restart and replaces
  // it, so none remains. Then: every record exactly once across the record files.
  const files = readdirSync(out);
  expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  const timeOf = (f: string): number => Number(f.slice(f.lastIndexOf("-") + 1));
  const recordFiles = files.filter((f) => f.startsWith("records-")).sort((a, b) => timeOf(a) - timeOf(b));
  const countFiles = new Map(files.filter((f) => f.startsWith("counts-")).map((f) => [timeOf(f), f]));
  const lines = (f: string): string[] => readFileSync(join(out, f), "utf8").split("\n").filter((l) => l !== "");
  const seen: number[] = [];
  const running = new Map<string, number>();
  for (const f of recordFiles) {
    for (const l of lines(f)) {
      const i = Number(l);
      seen.push(i);
      running.set(keyOf(i), (running.get(keyOf(i)) ?? 0) + 1);
    }
    // The counts of a batch are the running counts of the records of the batches up to it.
    const counts = countFiles.get(timeOf(f));
    expect(counts, `counts file of batch ${timeOf(f)}`).toBeDefined();
    const got = new Map(lines(counts!).map((l) => JSON.parse(l) as [string, number]));
    expect(got, `counts of batch ${timeOf(f)}`).toEqual(running);
  }
  expect(seen.length, "records in the sink").toBe(RECORDS);
  expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
  expect(recordFiles.length).toBe(countFiles.size);
  // The final state equals the expected running counts.
  const expected = expectedCounts(Array.from({ length: RECORDS }, (_, i) => i));
  expect(new Map(JSON.parse(done) as [string, number][])).toEqual(expected);
  expect(kills.length).toBeGreaterThanOrEqual(CRASH_POINTS.length);
}, deep ? 1_800_000 : 600_000);
