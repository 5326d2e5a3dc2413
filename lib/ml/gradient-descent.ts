import { deriveSeed, SeededRandom } from "./random.js";
import { axpy, dot, type LabeledPoint } from "./vectors.js";

/**
 * The gradient of one example's loss, added into `cumGradient` (Spark's `Gradient.compute`).
 * Least squares: loss (w·x − y)²/2, gradient (w·x − y)·x. Logistic (binary, y ∈ {0, 1}): gradient
 * (σ(w·x) − y)·x with σ the logistic function.
 */
export type GradientKind = "leastSquares" | "logistic";

/** Options of one SGD run (Spark's `GradientDescent`). */
export interface SgdOptions {
  gradient: GradientKind;
  /** The L2 regularization parameter (used with `l2`). */
  regParam: number;
  /** True: the SquaredL2Updater (w ← (1 − η·regParam)·w − η·g); false: the SimpleUpdater (w ← w − η·g). */
  l2: boolean;
  stepSize: number;
  numIterations: number;
  miniBatchFraction: number;
  convergenceTol: number;
  /** Seeds the mini-batch samples (with the iteration number), when miniBatchFraction < 1. */
  seed: number;
}

/**
 * Spark's `GradientDescent.runMiniBatchSGD`: from `initial`, up to numIterations steps; step i
 * samples a fraction of the examples (each kept with probability miniBatchFraction; all of them at
 * 1.0), averages their gradients g and moves by η = stepSize/√i through the updater. It stops early
 * once two consecutive iterates differ by less than convergenceTol·max(‖w‖, 1) (the first step is
 * never tested: Spark compares iterates, not the initial weights). An iteration that samples no
 * example changes nothing. No data: the initial weights.
 */
export function runMiniBatchSgd(points: readonly LabeledPoint[], initial: Float64Array, o: SgdOptions): Float64Array {
  const n = initial.length;
  const weights = initial.slice();
  if (points.length === 0) return weights;
  const grad = new Float64Array(n);
  const previous = new Float64Array(n);
  const logistic = o.gradient === "logistic";
  const sampled = o.miniBatchFraction < 1;
  let steps = 0;
  for (let i = 1; i <= o.numIterations; i++) {
    grad.fill(0);
    let size = 0;
    const random = sampled ? new SeededRandom(deriveSeed(o.seed, i)) : undefined;
    for (let p = 0; p < points.length; p++) {
      if (random !== undefined && random.next() >= o.miniBatchFraction) continue;
      const { label, features } = points[p] as LabeledPoint;
      const margin = dot(features, weights);
      const multiplier = logistic ? 1 / (1 + Math.exp(-margin)) - label : margin - label;
      axpy(multiplier, features, grad);
      size++;
    }
    if (size === 0) continue;
    const eta = o.stepSize / Math.sqrt(i);
    const shrink = o.l2 ? 1 - eta * o.regParam : 1;
    previous.set(weights);
    for (let j = 0; j < n; j++) weights[j] = weights[j]! * shrink + -eta * (grad[j]! / size);
    if (++steps >= 2 && converged(previous, weights, o.convergenceTol)) break;
  }
  return weights;
}

/** Spark's test: ‖previous − current‖ < tol · max(‖current‖, 1). */
function converged(previous: Float64Array, current: Float64Array, tol: number): boolean {
  let diff = 0;
  let norm = 0;
  for (let j = 0; j < current.length; j++) {
    const d = previous[j]! - current[j]!;
    diff += d * d;
    norm += current[j]! * current[j]!;
  }
  return Math.sqrt(diff) < tol * Math.max(Math.sqrt(norm), 1);
}
