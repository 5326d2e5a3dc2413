/** Small shared helpers for benchmarks: size selection, timing, printing. Benchmarks never fail on time. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** True for a tiny run (`--smoke` or `BENCH_SMOKE=1`), used by CI to check the bench still runs. */
export const smoke = process.argv.includes("--smoke") || process.env.BENCH_SMOKE === "1";

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** A fresh directory under the OS temp dir, removed by the returned function. */
export function tempDir(name: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dstream-bench-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `1234567.8` → `1,234,568`. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
