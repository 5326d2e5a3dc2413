/**
 * `npm run bench`: runs every benchmark, each in its own process (`--expose-gc`, a fresh heap and
 * JIT), prints its figures and ratios, and writes them all to `bench/results/latest.json`.
 * `--smoke` runs them with tiny sizes. `--only <name>` runs the named ones (file names without
 * `.bench.ts`). wal.bench.ts prints text only; its output is kept as text in the results.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchResult } from "./common.js";

const here = dirname(fileURLToPath(import.meta.url));
const smoke = process.argv.includes("--smoke");
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? "").split(",") : undefined;
const order = ["word-count", "word-count-wal", "commit-cost", "recovery", "memory", "latency", "mq-receivers", "wal", "jetstream-source", "postgres-sink", "group"];
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length))
  .filter((name) => only === undefined || only.includes(name))
  .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));

const results: (BenchResult | { name: string; output: string; exitCode: number | null })[] = [];
let failed = false;
for (const name of files) {
  const out = join(tmpdir(), `dstream-bench-${process.pid}-${name}.json`);
  const args = ["--expose-gc", "--import", "tsx", join(here, `${name}.bench.ts`), ...(smoke ? ["--smoke"] : [])];
  const child = spawnSync(process.execPath, args, { env: { ...process.env, BENCH_RESULT_FILE: out }, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(child.stdout);
  try {
    results.push(...(JSON.parse(readFileSync(out, "utf8")) as BenchResult[]));
    rmSync(out);
  } catch {
    results.push({ name, output: child.stdout, exitCode: child.status });
  }
  if (child.status !== 0) {
    failed = true;
    console.error(`bench ${name} exited with ${child.status}`);
  }
}
mkdirSync(join(here, "results"), { recursive: true });
const file = join(here, "results", smoke ? "smoke.json" : "latest.json");
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, smoke, results }, null, 2));
console.log(`\nresults: ${file}`);
if (failed) process.exitCode = 1;
