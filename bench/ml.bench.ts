/**
 * Streaming MLlib: points per second through `StreamingKMeans` (k = 10, 10 dimensions) and
 * `StreamingLinearRegressionWithSGD` (100 features, 10 SGD iterations per batch, every iteration
 * run: convergenceTol 0), each on a real LevelDB checkpoint (ManualClock; every batch planned,
 * run and committed with its model). Baseline in the same run: a plain loop doing the same
 * arithmetic over the same points (nearest center + weighted-mean update; full-batch gradient
 * steps), with no engine and no durability.
 *
 *   npx tsx bench/ml.bench.ts [--smoke]
 */
import { ManualClock } from "../lib/clock.js";
import type { DStream } from "../lib/dstream/internal.js";
import { StreamingKMeans } from "../lib/ml/streaming-kmeans.js";
import { StreamingLinearRegressionWithSGD } from "../lib/ml/streaming-linear-regression.js";
import type { LabeledPoint } from "../lib/ml/vectors.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { isMain, main, rng, type BenchOptions, type BenchResult } from "./common.js";
import { tempDir } from "./harness.js";

const BATCH = 1000;
const K = 10;
const DIM = 10;
const FEATURES = 100;
const ITERATIONS = 10;

/** Points around K centers. */
function kMeansInput(batches: number, perBatch: number): number[][][] {
  const next = rng(3);
  const centers = Array.from({ length: K }, () => Array.from({ length: DIM }, () => next() * 20 - 10));
  return Array.from({ length: batches }, () =>
    Array.from({ length: perBatch }, (_x, i) => (centers[i % K] as number[]).map((c) => c + next() - 0.5)),
  );
}

/** y = w·x + noise, 100 features. */
function regressionInput(batches: number, perBatch: number): LabeledPoint[][] {
  const next = rng(5);
  const w = Array.from({ length: FEATURES }, () => next() * 2 - 1);
  return Array.from({ length: batches }, () =>
    Array.from({ length: perBatch }, () => {
      const x = Array.from({ length: FEATURES }, () => next() * 2 - 1);
      return { label: x.reduce((s, xi, j) => s + xi * (w[j] as number), 0) + (next() - 0.5) * 0.1, features: x };
    }),
  );
}

/**
 * Points per second through `build` over `input` (after a warm-up tenth). `logged`: the points go
 * through queueStream, whose batches are logged in the checkpoint (input durability, as a
 * receiver's WAL would); otherwise the queue carries only batch numbers and a flatMap yields the
 * prepared points, so the figure is the model's cost plus the engine's per-batch cost.
 */
async function throughput<T>(input: T[][], build: (s: DStream<T>) => void, logged: boolean): Promise<number> {
  const { dir, remove } = tempDir("ml");
  const clock = new ManualClock();
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const s = new StreamingContext({ batchDuration: BATCH, clock });
    build(logged ? s.queueStream(input.map((b) => [...b])) : s.queueStream(input.map((_b, i) => [i])).flatMap((i) => input[i] as T[]));
    return s;
  });
  await ssc.start();
  const warm = Math.max(1, Math.floor(input.length / 10));
  await clock.advance(warm * BATCH);
  const t0 = performance.now();
  await clock.advance((input.length - warm) * BATCH);
  const ms = performance.now() - t0;
  await ssc.stop();
  remove();
  return (input.slice(warm).reduce((n, b) => n + b.length, 0) / ms) * 1000;
}

/** The k-means update with plain arrays: nearest center, sums, weighted mean (decay 1). */
function plainKMeans(input: number[][][], initial: number[][]): number {
  const centers = initial.map((c) => c.slice());
  const weights = new Array<number>(K).fill(0);
  const warm = Math.max(1, Math.floor(input.length / 10));
  let t0 = performance.now();
  for (let b = 0; b < input.length; b++) {
    if (b === warm) t0 = performance.now();
    const sums = Array.from({ length: K }, () => new Array<number>(DIM).fill(0));
    const counts = new Array<number>(K).fill(0);
    for (const p of input[b] as number[][]) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < K; c++) {
        let d = 0;
        const center = centers[c] as number[];
        for (let j = 0; j < DIM; j++) d += ((p[j] as number) - (center[j] as number)) ** 2;
        if (d < bestD) (bestD = d), (best = c);
      }
      const s = sums[best] as number[];
      for (let j = 0; j < DIM; j++) s[j] = (s[j] as number) + (p[j] as number);
      counts[best] = (counts[best] as number) + 1;
    }
    for (let c = 0; c < K; c++) {
      const n = counts[c] as number;
      if (n === 0) continue;
      const w = (weights[c] as number) + n;
      const lambda = n / w;
      weights[c] = w;
      const center = centers[c] as number[];
      for (let j = 0; j < DIM; j++) center[j] = (1 - lambda) * (center[j] as number) + (lambda / n) * ((sums[c] as number[])[j] as number);
    }
  }
  const ms = performance.now() - t0;
  if (!Number.isFinite(centers[0]?.[0] ?? NaN)) throw new Error("ml bench: plain k-means diverged");
  return (input.slice(warm).reduce((n, b) => n + b.length, 0) / ms) * 1000;
}

/** The SGD of a batch with plain arrays: ITERATIONS full-batch least-squares steps of stepSize/√i. */
function plainRegression(input: LabeledPoint[][], stepSize: number): number {
  const w = new Array<number>(FEATURES).fill(0);
  const warm = Math.max(1, Math.floor(input.length / 10));
  let t0 = performance.now();
  for (let b = 0; b < input.length; b++) {
    if (b === warm) t0 = performance.now();
    const batch = input[b] as LabeledPoint[];
    for (let i = 1; i <= ITERATIONS; i++) {
      const g = new Array<number>(FEATURES).fill(0);
      for (const { label, features } of batch) {
        const x = features as number[];
        let m = 0;
        for (let j = 0; j < FEATURES; j++) m += (x[j] as number) * (w[j] as number);
        const diff = m - label;
        for (let j = 0; j < FEATURES; j++) g[j] = (g[j] as number) + diff * (x[j] as number);
      }
      const eta = stepSize / Math.sqrt(i);
      for (let j = 0; j < FEATURES; j++) w[j] = (w[j] as number) - eta * ((g[j] as number) / batch.length);
    }
  }
  const ms = performance.now() - t0;
  if (!Number.isFinite(w[0])) throw new Error("ml bench: plain regression diverged");
  return (input.slice(warm).reduce((n, b) => n + b.length, 0) / ms) * 1000;
}

/**
 * The best of `rounds` of each function, run in turns (the machine is shared: the best run is the
 * least disturbed, and taking turns keeps the heap and JIT state alike for the contenders).
 */
async function best(rounds: number, ...fns: (() => Promise<number> | number)[]): Promise<number[]> {
  const top = fns.map(() => 0);
  for (let i = 0; i < rounds; i++) for (let f = 0; f < fns.length; f++) top[f] = Math.max(top[f] as number, await (fns[f] as () => Promise<number> | number)());
  return top;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.smoke ? 1 : 3;
  const points = kMeansInput(options.smoke ? 5 : 20, options.smoke ? 500 : 50_000);
  const initial = new StreamingKMeans({ k: K }).setRandomCenters(DIM, 0, 1).latestModel().clusterCenters;
  const trainKMeans = (s: DStream<number[]>) => new StreamingKMeans({ k: K }).setInitialCenters(initial, new Array<number>(K).fill(0)).trainOn(s);
  const [kmeans = 0, kmeansPlain = 0, kmeansLogged = 0] = await best(
    rounds,
    () => throughput(points, trainKMeans, false),
    () => plainKMeans(points, initial),
    () => throughput(points, trainKMeans, true),
  );

  const examples = regressionInput(options.smoke ? 5 : 20, options.smoke ? 200 : 5_000);
  const stepSize = 0.5;
  const trainRegression = (s: DStream<LabeledPoint>) =>
    new StreamingLinearRegressionWithSGD({ initialWeights: new Array<number>(FEATURES).fill(0), stepSize, numIterations: ITERATIONS, convergenceTol: 0 }).trainOn(s);
  const [regression = 0, regressionPlain = 0, regressionLogged = 0] = await best(
    rounds,
    () => throughput(examples, trainRegression, false),
    () => plainRegression(examples, stepSize),
    () => throughput(examples, trainRegression, true),
  );
  return {
    name: "streaming ML",
    figures: {
      "StreamingKMeans k=10 dim=10, points/s": kmeans,
      "StreamingKMeans, points logged in the checkpoint, points/s": kmeansLogged,
      "plain k-means loop, points/s": kmeansPlain,
      "StreamingLinearRegressionWithSGD 100 features × 10 iterations, points/s": regression,
      "StreamingLinearRegressionWithSGD, points logged, points/s": regressionLogged,
      "plain SGD loop, points/s": regressionPlain,
    },
    ratios: {
      "kmeans/plain": kmeans / kmeansPlain,
      "regression/plain": regression / regressionPlain,
      "kmeans logged/plain": kmeansLogged / kmeansPlain,
      "regression logged/plain": regressionLogged / regressionPlain,
    },
    notes: [
      `k-means: ${points.length} batches × ${points[0]?.length ?? 0} points; regression: ${examples.length} batches × ${examples[0]?.length ?? 0} examples; LevelDB checkpoint, every batch committed with its model`,
    ],
  };
}

if (isMain(import.meta.url)) void main(run);
