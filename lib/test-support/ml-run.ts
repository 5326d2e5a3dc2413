import { expect } from "vitest";
import type { DStream } from "../dstream/internal.js";
import { SeededRandom } from "../ml/random.js";
import type { LabeledPoint, Vector } from "../ml/vectors.js";
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

/**
 * Spark's LinearDataGenerator.generateLinearInput: features uniform in [−1, 1] (mean 0, variance
 * 1/3), label w·x + intercept + eps·N(0, 1).
 */
export function linearData(intercept: number, weights: number[], nPoints: number, seed: number, eps = 0.1): { label: number; features: number[] }[] {
  const rand = new SeededRandom(seed);
  const xs = Array.from({ length: nPoints }, () => weights.map(() => (rand.next() - 0.5) * 2));
  return xs.map((x) => ({ label: x.reduce((s, xi, i) => s + xi * (weights[i] as number), 0) + intercept + eps * rand.nextGaussian(), features: x }));
}

/** Spark's LogisticRegressionSuite.generateLogisticInput: x ~ N(0, 1), label 1 with probability σ(offset + scale·x). */
export function logisticData(offset: number, scale: number, nPoints: number, seed: number): { label: number; features: number[] }[] {
  const rand = new SeededRandom(seed);
  const x = Array.from({ length: nPoints }, () => rand.nextGaussian());
  return x.map((xi) => ({ label: rand.next() < 1 / (1 + Math.exp(-(offset + scale * xi))) ? 1 : 0, features: [xi] }));
}

/** A job that trains a fresh model (from `make`) and outputs the model after each batch. */
export function modelPerBatch<T, S>(make: () => { trainOn(s: DStream<T>): void; latestModel(): S }): (s: DStream<T>) => DStream<S> {
  return (s) => {
    const m = make();
    m.trainOn(s);
    // count() has one record per batch; its map runs after trainOn's job, so it sees this batch's model.
    return s.count().map(() => m.latestModel());
  };
}

/** A job that (optionally) trains a fresh model and predicts on the same stream: [label, prediction] per point. */
export function trainAndPredict(
  make: () => { trainOn(s: DStream<LabeledPoint>): void; predictOnValues<K>(s: DStream<[K, Vector]>): DStream<[K, number]> },
  train = true,
): (s: DStream<LabeledPoint>) => DStream<[number, number]> {
  return (s) => {
    const m = make();
    if (train) m.trainOn(s);
    return m.predictOnValues(s.map((p): [number, Vector] => [p.label, p.features]));
  };
}
