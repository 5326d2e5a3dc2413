import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock, StreamingContext } from "dstream";
import { afterEach, describe, expect, it } from "vitest";
import { dummyDigit } from "../lib/input/dummy-source.js";
import { BATCH_QUERY, buildWordCount } from "./word-count.js";
import { parseWordCountArgs, WORD_COUNT_USAGE } from "./word-count-args.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const tempDir = tempDirs("dstream-wc-");
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

describe("word count (the seed) on a ManualClock", () => {
  it("prints events and lines, registers batch_word_count, and keeps running totals", async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    const out: string[] = [];
    const queue = [["I am a dummy source 1", "I am a dummy source 2"], ["I am a dummy source 1"]];
    ssc = await StreamingContext.getOrCreate(join(dir, "cp"), () => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      buildWordCount(ssc, ssc.queueStream(queue), { out: (l) => void out.push(l), queryEvery: 2, jsonTotals: true });
      return ssc;
    });
    await ssc.start();
    await clock.advance(1000);
    expect(out.slice(0, 3)).toEqual(["# events = 2", "I am a dummy source 1", "I am a dummy source 2"]);
    expect(ssc.sql(BATCH_QUERY).slice(0, 2)).toEqual([
      { word: "I", count: 2 },
      { word: "a", count: 2 },
    ]);
    await clock.advance(1000);
    expect(out).toContain(`${BATCH_QUERY}\nword   | count\n-------+------\n1      | 1\nI      | 1\na      | 1\nam     | 1\ndummy  | 1\nsource | 1`);
    const totals = out.filter((l) => l.startsWith("TOTALS ")).map((l) => JSON.parse(l.slice(7)) as { counts: Record<string, number> });
    expect(totals.map((t) => t.counts["1"])).toEqual([1, 2]);
    expect(totals[1]?.counts).toEqual({ "1": 2, "2": 1, I: 3, a: 3, am: 3, dummy: 3, source: 3 });
  });
});

// ---- The main job as a real process, killed with SIGKILL and started again -------------------

interface Totals {
  time: number;
  counts: Record<string, number>;
}

/** Runs the `npm start` command (node with its flags, without npm, so signals reach the job). */
function startJob(checkpoint: string): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const [node, ...args] = (pkg.scripts.start ?? "").split(" ");
  expect(node).toBe("node");
  const child = spawn(process.execPath, [...args, "--checkpoint", checkpoint, "--events-per-second", "20000", "--query-every", "0", "--json-totals", "--no-ui"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffered = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  void exited.then(() => {
    if (stderr.trim() !== "") lines.push(`STDERR ${stderr}`);
  });
  return { child, lines, exited };
}

const totalsOf = (lines: string[]): Totals[] => lines.filter((l) => l.startsWith("TOTALS ")).map((l) => JSON.parse(l.slice(7)) as Totals);

async function until(what: string, lines: string[], test: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${lines.filter((l) => !l.startsWith("I am")).join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The exact totals of lines [0, n) of the DummySource: 1 per line for each fixed word, digits from the hash. */
function expectedTotals(n: number): Record<string, number> {
  // Before the first line arrives (a slow start) the state is empty: no word has a total yet.
  if (n === 0) return {};
  const counts: Record<string, number> = { I: n, am: n, a: n, dummy: n, source: n };
  for (let i = 0; i < n; i++) {
    const d = String(dummyDigit(i));
    counts[d] = (counts[d] ?? 0) + 1;
  }
  return counts;
}

describe("the main job (npm start) survives kill -9", () => {
  it("says it recovered, and its totals carry on exactly: every line counted once, from the offsets", async () => {
    const checkpoint = join(await tempDir(), "word-count");

    const first = startJob(checkpoint);
    await until("three batches", first.lines, () => totalsOf(first.lines).length >= 3);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(first.lines.join("\n")).toContain(`Starting fresh, checkpointing to ${checkpoint}`);
    const before = totalsOf(first.lines);
    const last = before[before.length - 1] as Totals;

    const second = startJob(checkpoint);
    await until("three batches after the restart", second.lines, () => totalsOf(second.lines).length >= 3);
    second.child.kill("SIGTERM"); // graceful: drains and commits, then exits
    await second.exited;
    expect(second.lines.join("\n")).toMatch(new RegExp(`Recovered from checkpoint ${checkpoint}: last committed batch \\d+`));
    // A graceful stop says what it committed: the last batch is the last one the totals show.
    const stopped = second.lines.find((l) => l.startsWith("stopped after batch "));
    expect(stopped).toMatch(new RegExp(`^stopped after batch (\\d+) \\(\\S+Z\\), [\\d,]+ records committed in \\d+ batches by this run; checkpoint ${checkpoint}$`));
    expect(Number(/batch (\d+)/.exec(stopped!)?.[1])).toBe(totalsOf(second.lines).at(-1)?.time);
    const after = totalsOf(second.lines);

    // Totals never go back: a batch the kill interrupted is re-run with the same input.
    for (const t of after) for (const [word, n] of Object.entries(last.counts)) expect(t.counts[word] ?? 0).toBeGreaterThanOrEqual(n);
    expect(after[after.length - 1]?.counts.dummy ?? 0).toBeGreaterThan(last.counts.dummy ?? 0);
    // Exact: after every batch of both runs, the totals are those of lines 0..n-1 (n = lines
    // counted), six words a line: no line lost, none counted twice.
    for (const t of [...before, ...after]) {
      const n = t.counts.dummy ?? 0;
      expect(t.counts).toEqual(expectedTotals(n));
      expect(Object.values(t.counts).reduce((a, b) => a + b, 0)).toBe(6 * n);
    }
  }, 150_000);
});

describe("the main job's command line", () => {
  it("parses the options, answers --help, and says what is wrong with a bad command line", () => {
    expect(parseWordCountArgs([])).toEqual({ kind: "run", args: { eventsPerSecond: 1000, checkpoint: "./checkpoints/word-count", queryEvery: 5, jsonTotals: false, uiPort: 4040 } });
    expect(parseWordCountArgs(["--events-per-second", "20000", "--checkpoint", "/tmp/x", "--query-every", "0", "--json-totals", "--no-ui"])).toEqual({
      kind: "run",
      args: { eventsPerSecond: 20000, checkpoint: "/tmp/x", queryEvery: 0, jsonTotals: true, uiPort: undefined },
    });
    expect(parseWordCountArgs(["--ui-port", "0"])).toMatchObject({ kind: "run", args: { uiPort: 0 } });
    expect(parseWordCountArgs(["--ui-port", "70000"])).toEqual({ kind: "error", message: '--ui-port expects a port number 0..65535; got "70000"' });
    expect(parseWordCountArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseWordCountArgs(["-h"])).toEqual({ kind: "help" });
    expect(parseWordCountArgs(["--bogus"])).toMatchObject({ kind: "error", message: expect.stringContaining("'--bogus'") });
    expect(parseWordCountArgs(["stray"])).toMatchObject({ kind: "error", message: expect.stringContaining("stray") });
    expect(parseWordCountArgs(["--checkpoint"])).toMatchObject({ kind: "error", message: expect.stringContaining("--checkpoint") });
    expect(parseWordCountArgs(["--events-per-second=-5"])).toEqual({ kind: "error", message: '--events-per-second expects a positive number; got "-5"' });
    expect(parseWordCountArgs(["--query-every", "1.5"])).toEqual({ kind: "error", message: '--query-every expects a whole number of batches (0: never); got "1.5"' });
  });

  it("as a process: --help prints the usage and exits 0; a bad flag prints the error and usage to stderr and exits 2, no stack trace", async () => {
    const help = await runArgs(["--help"]);
    expect(help).toEqual({ code: 0, stdout: `${WORD_COUNT_USAGE}\n`, stderr: "" });
    const bad = await runArgs(["--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^error: Unknown option '--bogus'[^\n]*\n\nusage: npm start -- \[options\]/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

/** Runs the `npm start` command with `args` (node with its flags, without npm) to its end. */
async function runArgs(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const [, ...nodeArgs] = (pkg.scripts.start ?? "").split(" ");
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  return { code, stdout, stderr };
}
