import type { DStream } from "../dstream/internal.js";
import type { RDD } from "../rdd/rdd.js";
import type { StreamingContext } from "../streaming-context.js";
import type { Time } from "../time.js";
import { runMiniBatchSgd, type GradientKind } from "./gradient-descent.js";
import { predictStream, predictValuesStream, registerTraining, type ModelTrainer } from "./model-training-dstream.js";
import { deriveSeed } from "./random.js";
import { checkVector, dot, toDense, vectorSize, type LabeledPoint, type Vector } from "./vectors.js";

/** A linear model as checkpointed and as `latestModel()` returns it. */
export interface LinearModelState {
  weights: number[];
  intercept: number;
}

/** Options shared by the streaming SGD algorithms (Spark's defaults in brackets). */
export interface StreamingLinearOptions {
  /** Step size η of the first SGD iteration; iteration i steps η/√i [0.1]. */
  stepSize?: number;
  /** SGD iterations per batch [50]. */
  numIterations?: number;
  /** Fraction of each batch sampled per iteration [1.0: every example, deterministic]. */
  miniBatchFraction?: number;
  /** Stop a batch's SGD once consecutive iterates move less than this, relative to ‖w‖ [0.001]. */
  convergenceTol?: number;
  /** The initial weights, one per feature (or set them with setInitialWeights). */
  initialWeights?: Vector;
  /** Stable id the model is checkpointed under (as `name()` on an operator). */
  uid?: string;
}

interface Model {
  weights: Float64Array;
  intercept: number;
}

/**
 * Spark's `StreamingLinearAlgorithm`: a linear model trained by SGD with every non-empty batch,
 * starting from the previous batch's weights. The model is state, committed with each batch and
 * restored by `getOrCreate`. With miniBatchFraction < 1, each iteration samples with a seed derived
 * from the batch time, so a batch re-run after a crash samples the same examples.
 */
export abstract class StreamingLinearAlgorithm {
  readonly stepSize: number;
  readonly numIterations: number;
  readonly miniBatchFraction: number;
  readonly convergenceTol: number;
  private readonly uid: string | undefined;
  private model: Model | undefined;
  private readonly trainedIn = new WeakSet<StreamingContext>();

  protected constructor(
    options: StreamingLinearOptions,
    /** The algorithm's name, in messages and the operator kind. */
    private readonly algorithm: string,
  ) {
    if (typeof options !== "object" || options === null) throw new TypeError(`${algorithm} options must be an object; got ${String(options)}`);
    this.stepSize = positive(options.stepSize ?? 0.1, `${algorithm} stepSize`);
    this.numIterations = options.numIterations ?? 50;
    if (!Number.isInteger(this.numIterations) || this.numIterations < 1) throw new RangeError(`${algorithm} numIterations must be a positive integer; got ${String(options.numIterations)}`);
    this.miniBatchFraction = options.miniBatchFraction ?? 1;
    if (typeof this.miniBatchFraction !== "number" || !(this.miniBatchFraction > 0 && this.miniBatchFraction <= 1)) {
      throw new RangeError(`${algorithm} miniBatchFraction must be in (0, 1]; got ${String(options.miniBatchFraction)}`);
    }
    this.convergenceTol = options.convergenceTol ?? 0.001;
    if (typeof this.convergenceTol !== "number" || !(this.convergenceTol >= 0 && this.convergenceTol <= 1)) {
      throw new RangeError(`${algorithm} convergenceTol must be in [0, 1]; got ${String(options.convergenceTol)}`);
    }
    if (options.uid !== undefined && (typeof options.uid !== "string" || options.uid.length === 0)) throw new TypeError(`${algorithm} uid must be a non-empty string; got ${String(options.uid)}`);
    this.uid = options.uid;
    if (options.initialWeights !== undefined) this.setInitialWeights(options.initialWeights);
  }

  /** How SGD computes the gradient and updates the weights. */
  protected abstract readonly sgd: { gradient: GradientKind; l2: boolean; regParam: number };
  /** The prediction from the margin w·x + intercept. */
  protected abstract predictMargin(margin: number): number;
  /** Checks a training label (e.g. 0 or 1 for logistic regression). */
  protected abstract checkLabel(label: number, time: Time): void;

  /** The initial weights (intercept 0), one per feature. */
  setInitialWeights(weights: Vector): this {
    vectorSize(weights, `${this.algorithm} initialWeights`);
    const dense = toDense(weights);
    if (dense.length === 0) throw new RangeError(`${this.algorithm} initialWeights must have at least one feature`);
    dense.forEach((w, i) => {
      if (typeof w !== "number" || !Number.isFinite(w)) throw new TypeError(`${this.algorithm} initialWeights[${i}] must be a finite number; got ${String(w)}`);
    });
    this.model = { weights: Float64Array.from(dense), intercept: 0 };
    return this;
  }

  /** Updates the model with every non-empty batch of `data` (an output operation, as in Spark). */
  trainOn(data: DStream<LabeledPoint>): void {
    const features = this.initialized("trainOn").weights.length;
    const trainer: ModelTrainer<LabeledPoint, LinearModelState> = {
      train: (rdd: RDD<LabeledPoint> | undefined, time: Time) => this.train(rdd, time),
      state: () => this.latestModel(),
      restore: (state) => (this.model = { weights: Float64Array.from(state.weights), intercept: state.intercept }),
      get size() {
        return features;
      },
    };
    registerTraining(data, trainer, `${this.algorithm}(features=${features})`, this.uid, this.trainedIn, this.algorithm);
  }

  /** The prediction for each feature vector, with the latest model. */
  predictOn(data: DStream<Vector>): DStream<number> {
    this.initialized("predictOn");
    return predictStream(data, () => this.initialized("predictOn"), (m, x) => this.predict(m, x), `${this.algorithm}.predictOn`);
  }

  /** predictOn for the value of each `[key, features]` record, keeping the key. */
  predictOnValues<K>(data: DStream<[K, Vector]>): DStream<[K, number]> {
    this.initialized("predictOnValues");
    return predictValuesStream(data, () => this.initialized("predictOnValues"), (m, x) => this.predict(m, x), `${this.algorithm}.predictOnValues`);
  }

  /** The current weights and intercept (a copy). */
  latestModel(): LinearModelState {
    const m = this.initialized("latestModel");
    return { weights: Array.from(m.weights), intercept: m.intercept };
  }

  private train(rdd: RDD<LabeledPoint> | undefined, time: Time): boolean {
    const points = rdd?.collect() ?? [];
    // As Spark: an empty batch leaves the model as it is.
    if (points.length === 0) return false;
    const m = this.initialized("trainOn");
    for (let i = 0; i < points.length; i++) {
      const p = points[i] as LabeledPoint;
      if (typeof p !== "object" || p === null || typeof p.label !== "number" || !Number.isFinite(p.label)) {
        throw new TypeError(`${this.algorithm}.trainOn expects { label: number, features } records; got ${p === null ? "null" : typeof p === "object" ? `label ${String(p.label)}` : String(p)} at position ${i} of batch ${time}`);
      }
      this.checkLabel(p.label, time);
      checkVector(p.features, m.weights.length, `the features of training point ${i} of batch ${time}`);
    }
    const weights = runMiniBatchSgd(points, m.weights, {
      ...this.sgd,
      stepSize: this.stepSize,
      numIterations: this.numIterations,
      miniBatchFraction: this.miniBatchFraction,
      convergenceTol: this.convergenceTol,
      seed: deriveSeed(time),
    });
    this.model = { weights, intercept: m.intercept };
    return true;
  }

  private predict(m: Model, x: Vector): number {
    checkVector(x, m.weights.length, `${this.algorithm}: a feature vector to predict`);
    return this.predictMargin(dot(x, m.weights) + m.intercept);
  }

  private initialized(what: string): Model {
    if (this.model === undefined) throw new TypeError(`${this.algorithm}.${what}: the model must be initialized first (initialWeights or setInitialWeights)`);
    return this.model;
  }
}

function positive(x: number, what: string): number {
  if (typeof x !== "number" || !(x > 0) || !Number.isFinite(x)) throw new RangeError(`${what} must be a finite number > 0; got ${String(x)}`);
  return x;
}
