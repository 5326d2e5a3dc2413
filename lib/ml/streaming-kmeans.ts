import type { DStream } from "../dstream/internal.js";
import type { RDD } from "../rdd/rdd.js";
import type { StreamingContext } from "../streaming-context.js";
import { StreamingKMeansModel, type KMeansModelState, type TimeUnit } from "./kmeans-model.js";
import { predictStream, predictValuesStream, registerTraining, type ModelTrainer } from "./model-training-dstream.js";
import { SeededRandom } from "./random.js";
import type { Vector } from "./vectors.js";

/** Options of {@link StreamingKMeans}. */
export interface StreamingKMeansOptions {
  /** Number of clusters; default 2. */
  k?: number;
  /** Weight kept of the old data per batch (or per point, see halfLife); default 1 (keep all). */
  decayFactor?: number;
  /**
   * Instead of decayFactor: the number of batches (or points) after which old data weighs half,
   * i.e. decayFactor = 0.5^(1/halfLife), applied per batch or per new point.
   */
  halfLife?: [number, TimeUnit];
  /** Default seed of setRandomCenters; default 0. */
  seed?: number;
  /** Stable id the model is checkpointed under (as `name()` on an operator). */
  uid?: string;
}

/**
 * Spark MLlib's `StreamingKMeans`: k-means clustering updated with every batch of a stream, old
 * data forgotten at the rate the decay factor sets. The model is state: committed with each batch
 * and restored by `getOrCreate`, so a restarted job goes on from the model it had.
 *
 * ```ts
 * const km = new StreamingKMeans({ k: 3, halfLife: [5, "batches"] }).setRandomCenters(2, 0, 42);
 * km.trainOn(points);
 * km.predictOn(points).print();
 * ```
 */
export class StreamingKMeans {
  /** Number of clusters. */
  readonly k: number;
  /** Weight kept of old data per batch, or per point when timeUnit is "points". */
  readonly decayFactor: number;
  readonly timeUnit: TimeUnit;
  private readonly seed: number;
  private readonly uid: string | undefined;
  private model: StreamingKMeansModel | undefined;
  private readonly trainedIn = new WeakSet<StreamingContext>();

  constructor(options: StreamingKMeansOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`StreamingKMeans options must be an object; got ${String(options)}`);
    const k = options.k ?? 2;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`StreamingKMeans k must be a positive integer; got ${String(k)}`);
    this.k = k;
    if (options.halfLife !== undefined && options.decayFactor !== undefined) {
      throw new TypeError("StreamingKMeans takes decayFactor or halfLife, not both (halfLife sets the decay factor)");
    }
    if (options.halfLife !== undefined) {
      const [halfLife, unit] = Array.isArray(options.halfLife) ? options.halfLife : [undefined, undefined];
      if (typeof halfLife !== "number" || !(halfLife > 0) || !Number.isFinite(halfLife)) throw new RangeError(`StreamingKMeans halfLife must be [n > 0, "batches" | "points"]; got ${String(options.halfLife)}`);
      if (unit !== "batches" && unit !== "points") throw new TypeError(`StreamingKMeans halfLife unit must be "batches" or "points"; got ${String(unit)}`);
      this.decayFactor = Math.exp(Math.log(0.5) / halfLife);
      this.timeUnit = unit;
    } else {
      const d = options.decayFactor ?? 1;
      if (typeof d !== "number" || !(d >= 0) || !Number.isFinite(d)) throw new RangeError(`StreamingKMeans decayFactor must be a finite number ≥ 0; got ${String(d)}`);
      this.decayFactor = d;
      this.timeUnit = "batches";
    }
    this.seed = options.seed ?? 0;
    if (options.uid !== undefined && (typeof options.uid !== "string" || options.uid.length === 0)) throw new TypeError(`StreamingKMeans uid must be a non-empty string; got ${String(options.uid)}`);
    this.uid = options.uid;
  }

  /**
   * k centers of `dim` entries drawn from a standard normal distribution (seeded: the same seed
   * gives the same centers), each with weight `weight`.
   */
  setRandomCenters(dim: number, weight: number, seed: number = this.seed): this {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`setRandomCenters dim must be a positive integer; got ${String(dim)}`);
    const random = new SeededRandom(seed);
    const centers: number[][] = [];
    for (let c = 0; c < this.k; c++) centers.push(Array.from({ length: dim }, () => random.nextGaussian()));
    this.model = StreamingKMeansModel.of(centers, new Array<number>(this.k).fill(weight));
    return this;
  }

  /** The initial centers and their weights (one per cluster; k of them). */
  setInitialCenters(centers: readonly Vector[], weights: readonly number[]): this {
    const model = StreamingKMeansModel.of(centers, weights);
    if (model.k !== this.k) throw new RangeError(`setInitialCenters needs k = ${this.k} centers; got ${model.k}`);
    this.model = model;
    return this;
  }

  /** Updates the model with every batch of `data` (an output operation, as in Spark). */
  trainOn(data: DStream<Vector>): void {
    const model = this.initialized("trainOn");
    const trainer: ModelTrainer<Vector, KMeansModelState> = {
      train: (rdd: RDD<Vector> | undefined) => {
        // Every batch, even an empty one, discounts the old weights (Spark's update).
        this.model = this.initialized("trainOn").update((visit) => rdd?.forEachRecord(visit), this.decayFactor, this.timeUnit);
        return true;
      },
      state: () => this.initialized("trainOn").toState(),
      restore: (state) => (this.model = StreamingKMeansModel.fromState(state)),
      get size() {
        return model.k;
      },
    };
    registerTraining(data, trainer, `StreamingKMeans(k=${this.k}, dim=${model.dim})`, this.uid, this.trainedIn, "StreamingKMeans");
  }

  /** The index of the nearest cluster center for each point, with the latest model. */
  predictOn(data: DStream<Vector>): DStream<number> {
    this.initialized("predictOn");
    return predictStream(data, () => this.initialized("predictOn"), (m, v) => m.predict(v), "StreamingKMeans.predictOn");
  }

  /** predictOn for the value of each `[key, point]` record, keeping the key. */
  predictOnValues<K>(data: DStream<[K, Vector]>): DStream<[K, number]> {
    this.initialized("predictOnValues");
    return predictValuesStream(data, () => this.initialized("predictOnValues"), (m, v) => m.predict(v), "StreamingKMeans.predictOnValues");
  }

  /** The current centers and weights (a copy). */
  latestModel(): KMeansModelState {
    return this.initialized("latestModel").toState();
  }

  private initialized(what: string): StreamingKMeansModel {
    if (this.model === undefined) throw new TypeError(`StreamingKMeans.${what}: initial cluster centers must be set first (setInitialCenters or setRandomCenters)`);
    return this.model;
  }
}
