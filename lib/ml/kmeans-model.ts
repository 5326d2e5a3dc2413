import { axpy, checkVector, squaredDistance, toDense, vectorSize, type Vector } from "./vectors.js";

/** How StreamingKMeans discounts old data: once per batch, or once per new point. */
export type TimeUnit = "batches" | "points";

/** A k-means model as checkpointed and as `latestModel()` returns it. */
export interface KMeansModelState {
  clusterCenters: number[][];
  clusterWeights: number[];
}

/**
 * Spark's `StreamingKMeansModel`: k centers of `dim` entries (one flat Float64Array) with their
 * weights. `update` returns a new model and leaves this one as it was, so a prediction bound to a
 * model keeps seeing the centers it was bound to.
 */
export class StreamingKMeansModel {
  private norms: Float64Array | undefined;

  private constructor(
    readonly k: number,
    readonly dim: number,
    /** Center c occupies [c·dim, (c+1)·dim). */
    private readonly centers: Float64Array,
    private readonly weights: Float64Array,
  ) {}

  /** A model from centers and weights (checked: k ≥ 1 centers of one dimension, weights ≥ 0). */
  static of(centers: readonly Vector[], weights: readonly number[]): StreamingKMeansModel {
    if (!Array.isArray(centers) || centers.length === 0) throw new TypeError(`cluster centers must be a non-empty array of vectors; got ${String(centers)}`);
    if (!Array.isArray(weights) || weights.length !== centers.length) {
      throw new RangeError(`cluster weights must be an array with one weight per center (${centers.length}); got ${Array.isArray(weights) ? `${weights.length} weights` : String(weights)}`);
    }
    const dense = centers.map((c, i) => {
      vectorSize(c, `cluster center ${i}`);
      return toDense(c);
    });
    const dim = (dense[0] as readonly number[]).length;
    if (dim === 0) throw new RangeError("cluster centers must have at least one entry");
    const flat = new Float64Array(centers.length * dim);
    dense.forEach((c, i) => {
      if (c.length !== dim) throw new RangeError(`cluster center ${i} has ${c.length} entries; center 0 has ${dim}: all centers need the same dimension`);
      for (let j = 0; j < dim; j++) {
        const x = c[j];
        if (typeof x !== "number" || !Number.isFinite(x)) throw new TypeError(`cluster center ${i}, entry ${j} must be a finite number; got ${String(x)}`);
        flat[i * dim + j] = x;
      }
    });
    const w = Float64Array.from(weights, (x, i) => {
      if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) throw new RangeError(`cluster weight ${i} must be a finite number ≥ 0; got ${String(x)}`);
      return x;
    });
    return new StreamingKMeansModel(centers.length, dim, flat, w);
  }

  /** The model from its checkpointed form. */
  static fromState(state: KMeansModelState): StreamingKMeansModel {
    return StreamingKMeansModel.of(state.clusterCenters, state.clusterWeights);
  }

  /** Centers and weights as plain arrays (a copy). */
  toState(): KMeansModelState {
    const clusterCenters: number[][] = [];
    for (let c = 0; c < this.k; c++) clusterCenters.push(Array.from(this.centers.subarray(c * this.dim, (c + 1) * this.dim)));
    return { clusterCenters, clusterWeights: Array.from(this.weights) };
  }

  /** The index of the center nearest to `point` (Euclidean; the lowest index on a tie, as Spark). */
  predict(point: Vector): number {
    checkVector(point, this.dim, "a point to predict");
    return this.nearest(point, this.centerNorms());
  }

  /**
   * Spark's `StreamingKMeansModel.update` over one batch: each point goes to its nearest center;
   * the old weights are discounted (by `decayFactor` per batch, or `decayFactor^n` for n new
   * points), and each center that got points moves to the weighted mean of its old position and
   * the new points: with n points summing to s and updated weight w = discounted weight + n, the
   * center becomes (1 − n/w)·c + s/w. Then, if the lightest cluster weighs less than 1e-8 of the
   * heaviest, it is dying: both get the mean of the two weights and the largest center is split
   * in two, a tiny step either side of it.
   */
  update(forEachPoint: (visit: (point: Vector) => void) => void, decayFactor: number, timeUnit: TimeUnit): StreamingKMeansModel {
    const { k, dim } = this;
    const norms = this.centerNorms();
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    let n = 0;
    forEachPoint((point) => {
      checkVector(point, dim, "a training point");
      const c = this.nearest(point, norms);
      axpy(1, point, sums, c * dim);
      counts[c]! += 1;
      n++;
    });
    const centers = this.centers.slice();
    const weights = this.weights.slice();
    const discount = timeUnit === "batches" ? decayFactor : Math.pow(decayFactor, n);
    for (let c = 0; c < k; c++) weights[c]! *= discount;
    for (let c = 0; c < k; c++) {
      const count = counts[c]!;
      if (count === 0) continue;
      const updated = weights[c]! + count;
      const lambda = count / Math.max(updated, 1e-16);
      weights[c] = updated;
      const o = c * dim;
      for (let j = 0; j < dim; j++) centers[o + j] = (1 - lambda) * centers[o + j]! + (lambda / count) * sums[o + j]!;
    }
    splitDyingCluster(centers, weights, dim);
    return new StreamingKMeansModel(k, dim, centers, weights);
  }

  private nearest(point: Vector, norms: Float64Array): number {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < this.k; c++) {
      const d = squaredDistance(point, this.centers, c * this.dim, this.dim, norms[c]!);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best;
  }

  private centerNorms(): Float64Array {
    if (this.norms !== undefined) return this.norms;
    const norms = new Float64Array(this.k);
    for (let c = 0; c < this.k; c++) {
      let s = 0;
      for (let j = c * this.dim; j < (c + 1) * this.dim; j++) s += this.centers[j]! * this.centers[j]!;
      norms[c] = s;
    }
    return (this.norms = norms);
  }
}

/** Spark's rule for a dying cluster (see update); the first largest and first smallest on ties. */
function splitDyingCluster(centers: Float64Array, weights: Float64Array, dim: number): void {
  let largest = 0;
  let smallest = 0;
  for (let c = 1; c < weights.length; c++) {
    if (weights[c]! > weights[largest]!) largest = c;
    if (weights[c]! < weights[smallest]!) smallest = c;
  }
  const max = weights[largest]!;
  const min = weights[smallest]!;
  if (!(min < 1e-8 * max)) return;
  const weight = (max + min) / 2;
  weights[largest] = weight;
  weights[smallest] = weight;
  for (let j = 0; j < dim; j++) {
    const x = centers[largest * dim + j]!;
    const p = 1e-14 * Math.max(Math.abs(x), 1);
    centers[largest * dim + j] = x + p;
    centers[smallest * dim + j] = x - p;
  }
}
