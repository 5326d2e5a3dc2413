/**
 * The package as a user gets it: `npm pack` (which builds through `prepare`), the tarball installed
 * into a new project (from npm's cache when it can: --prefer-offline), imported by name, a job run
 * on a ManualClock, SQL over its batch, a TypeScript file type-checked by tsc (NodeNext, strict,
 * no skipLibCheck) against the package's own types, the `dstream` command through npx, and the
 * README's main snippet run as the README says (`npx tsx word-count.ts`, then Ctrl-C).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { tempDirs } from "../lib/test-support/temp-dirs.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(repo, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};
const tempDir = tempDirs("dstream-pack-");

/** Runs a command to its end; fails the test with its output if it exits non-zero. */
function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// What a user's project does with the package: three batches on a ManualClock, SQL on the last.
const JOB = `
import { DummySource, ManualClock, StreamingContext, StreamingError } from "dstream";
const clock = new ManualClock();
const ssc = new StreamingContext({ batchDuration: 1000, clock });
const counts = ssc.queueStream([["a b", "a"], ["b"], ["c a"]])
  .flatMap((l) => l.split(" ")).map((w) => [w, 1]).reduceByKey((x, y) => x + y);
const batches = [];
counts.foreachRDD((rdd, time) => {
  batches.push([time, rdd.collect().sort()]);
  rdd.registerTempTable("counts", ["word", "n"]);
});
await ssc.start();
await clock.advance(3000);
const sql = ssc.sql("select word, n from counts order by word");
await ssc.stop();
console.log(JSON.stringify({ batches, sql, dummy: typeof DummySource, coded: StreamingError.is(new Error("x")) }));
`;

// The same job's start as a user's TypeScript: it must type-check against the package's .d.ts files,
// and the expect-error line proves the types are real (an `any` would make it an unused directive).
const TS_JOB = `
import { ErrorCodes, ManualClock, Seconds, StreamingContext, StreamingError, type DStream } from "dstream";
const ssc = new StreamingContext({ batchDuration: Seconds(1), clock: new ManualClock() });
const counts: DStream<[string, number]> = ssc.queueStream<string>([["a b"]])
  .flatMap((l) => l.split(" ")).map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b);
counts.foreachRDD((rdd, time: number) => void [rdd.collect() satisfies [string, number][], time]);
// @ts-expect-error batchDuration is a number of milliseconds
new StreamingContext({ batchDuration: "1s" });
export const mismatch = (e: unknown): boolean => StreamingError.is(e, ErrorCodes.CHECKPOINT_MISMATCH);
`;

/**
 * Every file package.json points a consumer at (main, types, bin, each export condition), as
 * "./path". The `dstream-source` condition is left out: only this repository's own scripts pass
 * it (`--conditions=dstream-source`), to run from the TypeScript sources the tarball does not hold.
 */
function entryPoints(): string[] {
  const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === "string") targets.push(target);
    else for (const [condition, file] of Object.entries(target)) if (condition !== "dstream-source") targets.push(file);
    expect(subpath === "." || subpath === "./package.json").toBe(true);
  }
  return targets;
}

it("packs a tarball of the library, its types, the CLI and README, which installs into a new project and works", async () => {
  const work = await tempDir();
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], repo)) as { filename: string; files: { path: string }[] }[];
  const files = (packed?.files ?? []).map((f) => f.path).sort();
  for (const f of ["README.md", "package.json", "bin/dstream.js", "dist/index.js", "dist/index.d.ts", "dist/bin/cli.js", "dist/lib/streaming-context.d.ts"]) {
    expect(files).toContain(f);
  }
  // Nothing but those and the live UI's static files: no benchmarks, examples, tests, test
  // helpers, fixtures, TypeScript sources or maps.
  expect(files.filter((f) => !/^(README\.md|package\.json|bin\/dstream\.js|dist\/.+\.(js|d\.ts)|dist\/lib\/ui\/static\/[^/]+)$/.test(f))).toEqual([]);
  expect(files.filter((f) => /(^|\/)(bench|examples|property-tests|test-support|fixtures)\/|\.test\.|storage-contract/.test(f))).toEqual([]);
  // Whatever a consumer's resolver picks (import, types, main, bin) is in the tarball.
  for (const target of entryPoints()) expect(files).toContain(target.replace(/^\.\//, ""));

  const app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // tsx too, as the README's "Use it in your project" does, for the snippet below.
  // TypeScript too, for a user's typed job: its @types/node comes with dstream's dependencies.
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(work, packed!.filename), `tsx@${pkg.devDependencies.tsx}`, `typescript@${pkg.devDependencies.typescript}`], app);
  await writeFile(join(app, "job.mjs"), JOB);

  const result = JSON.parse(run(process.execPath, ["job.mjs"], app)) as { batches: [number, [string, number][]][]; sql: unknown[]; dummy: string; coded: boolean };
  expect(result.batches).toEqual([
    [1000, [["a", 2], ["b", 1]]],
    [2000, [["b", 1]]],
    [3000, [["a", 1], ["c", 1]]],
  ]);
  expect(result.sql).toEqual([{ word: "a", n: 1 }, { word: "c", n: 1 }]);
  expect(result).toMatchObject({ dummy: "function", coded: false });

  // A TypeScript user's project: NodeNext resolution (the "types" condition), strict, and the
  // package's .d.ts files checked too (no skipLibCheck): they may name only what a consumer has.
  await writeFile(join(app, "job.ts"), TS_JOB);
  await writeFile(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true }, files: ["job.ts"] }));
  const listed = run("npx", ["--no-install", "tsc", "-p", ".", "--listFiles"], app);
  expect(listed).toMatch(/node_modules\/dstream\/dist\/index\.d\.ts$/m);

  expect(run("npx", ["--no-install", "dstream", "--help"], app)).toMatch(/^usage: dstream inspect <checkpointDir> \[--json\]/);

  // The README's main snippet, exactly as written, stopped with Ctrl-C after two batches.
  const snippet = /## The main job[^]*?```ts\n([^]*?)```/.exec(readme)?.[1];
  expect(snippet).toContain('from "dstream"');
  await writeFile(join(app, "word-count.ts"), snippet!);
  const out = await runUntilInterrupted(app, ["npx", "tsx", "word-count.ts"], (text) => (text.match(/^# events = \d+$/gm) ?? []).length >= 2);
  expect(out.stderr).toBe("");
  const report = JSON.parse(run("npx", ["--no-install", "dstream", "inspect", "checkpoints/word-count", "--json"], app)) as { lastCommittedTime?: number; pendingBatches: number[] };
  expect(report.lastCommittedTime).toBeGreaterThan(0);
  expect(report.pendingBatches).toEqual([]);
}, 300_000);

/**
 * Starts `command` in a process group of its own, as a terminal would, waits (up to a minute)
 * until its output satisfies `ready`, then sends SIGINT to the whole group, as Ctrl-C does, and
 * waits for it to end.
 */
async function runUntilInterrupted(cwd: string, [command, ...args]: string[], ready: (stdout: string) => boolean): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(command!, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!ready(stdout)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`${command} ${args.join(" ")} did not get ready:\n${stdout}\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.kill(-child.pid!, "SIGINT");
  await exited;
  return { stdout, stderr };
}
