/**
 * What every dstream benchmark shares: the seed's input lines, the result shape that `run-all.ts`
 * collects into `bench/results/latest.json`, printing, and the "run when invoked directly" guard.
 * Benchmarks print figures and ratios; they never pass or fail on time.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Options every benchmark's `run` takes. */
export interface BenchOptions {
  /** Tiny sizes: checks the benchmark still runs (CI), says nothing about speed. */
  smoke: boolean;
}

/** What a benchmark reports: named figures (units in the name) and ratios to its baselines. */
export interface BenchResult {
  name: string;
  figures: Record<string, number>;
  ratios: Record<string, number>;
  /** Targets as text, e.g. `{ "dstream/plain": ">= 0.7" }`, printed beside the ratios. */
  targets?: Record<string, string>;
  notes?: string[];
}

/** A small deterministic PRNG (mulberry32), so every run sees the same input. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` lines of the seed example's source: `I am a dummy source N`, N uniform in 0–9. */
export function seedLines(n: number, seed = 42): string[] {
  const next = rng(seed);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `I am a dummy source ${Math.floor(next() * 10)}`;
  return out;
}

/** `total` seed lines cut into `batches` arrays of equal size. */
export function seedBatches(batches: number, perBatch: number, seed = 42): string[][] {
  const all = seedLines(batches * perBatch, seed);
  return Array.from({ length: batches }, (_, b) => all.slice(b * perBatch, (b + 1) * perBatch));
}

/** The word count a plain loop computes: the reference every word-count benchmark checks against. */
export function plainWordCount(lines: readonly string[], into = new Map<string, number>()): Map<string, number> {
  for (let i = 0; i < lines.length; i++) {
    const words = (lines[i] as string).split(" ");
    for (let j = 0; j < words.length; j++) {
      const w = words[j] as string;
      into.set(w, (into.get(w) ?? 0) + 1);
    }
  }
  return into;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The `p` quantile (0–1) of a non-empty list, nearest rank. */
export function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number;
}

/** Prints a result as aligned lines. */
export function printResult(r: BenchResult): void {
  console.log(`\n== ${r.name}`);
  for (const [k, v] of Object.entries(r.figures)) console.log(`  ${k.padEnd(44)} ${format(v)}`);
  for (const [k, v] of Object.entries(r.ratios)) {
    const t = r.targets?.[k];
    console.log(`  ratio ${k.padEnd(38)} ${v.toFixed(2)}${t === undefined ? "" : `  (target ${t})`}`);
  }
  for (const n of r.notes ?? []) console.log(`  note: ${n}`);
}

function format(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 3);
}

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(fileURLToPath(url)) === realpathSync(arg);
  } catch {
    return false;
  }
}

/**
 * The entry of a benchmark file run directly: runs it (tiny with `--smoke`), prints, and when
 * `BENCH_RESULT_FILE` is set writes the result there as JSON for `run-all.ts`.
 */
export async function main(run: (o: BenchOptions) => Promise<BenchResult | BenchResult[]>): Promise<void> {
  const smoke = process.argv.includes("--smoke") || process.env.BENCH_SMOKE === "1";
  const out = await run({ smoke });
  const results = Array.isArray(out) ? out : [out];
  for (const r of results) printResult(r);
  const file = process.env.BENCH_RESULT_FILE;
  if (file !== undefined) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, JSON.stringify(results, null, 2));
  }
}
