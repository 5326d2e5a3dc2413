import { expect } from "vitest";
import type { DStream } from "../dstream/internal.js";
import { SeededRandom } from "../ml/random.js";
import { StreamTest } from "./stream-test.js";

/**
 * Runs `build` over `batches` on a real checkpoint (StreamTest), optionally killed after `crashAfter`
 * batches and recovered; returns each batch's output, in time order.
 */
export async function runBatches<T, U>(dir: string, batches: readonly T[][], build: (input: DStream<T>) => DStream<U>, crashAfter?: number): Promise<U[][]> {
  const t = new StreamTest<T, U>(build, {}, dir);
  for (const b of batches) t.addData(...b);
  await t.start();
  if (crashAfter !== undefined) {
    await t.advance(crashAfter);
    await t.crash();
    const ssc = await t.restart();
    expect(ssc.recovered).toBe(true);
    await t.advance(batches.length - crashAfter);
  } else {
    await t.advance(batches.length);
  }
  await t.stop();
  return [...t.outputsByTime().values()];
}

/** Asserts |a − b| ≤ tol entry by entry (MLlib's `~== absTol`). */
export function expectVectorClose(a: readonly number[], b: readonly number[], tol: number, what = "vector"): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs((a[i] as number) - (b[i] as number)), `${what}[${i}]: ${a[i]} vs ${b[i]} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
  }
}

/**
 * Spark's StreamingKMeansDataGenerator: `numBatches` batches of `numPoints` points, point i drawn
 * around center i mod k with Gaussian noise of deviation r; centers drawn from a standard normal
 * unless given.
 */
export function kMeansData(numPoints: number, numBatches: number, k: number, d: number, r: number, seed: number, initCenters?: number[][]): { input: number[][][]; centers: number[][] } {
  const rand = new SeededRandom(seed);
  const centers = initCenters ?? Array.from({ length: k }, () => Array.from({ length: d }, () => rand.nextGaussian()));
  const input = Array.from({ length: numBatches }, () =>
    Array.from({ length: numPoints }, (_x, idx) => {
      const center = centers[idx % k] as number[];
      return Array.from({ length: d }, (_y, x) => (center[x] as number) + rand.nextGaussian() * r);
    }),
  );
  return { input, centers };
}
