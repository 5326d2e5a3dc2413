import type { Time } from "../time.js";
import type { GradientKind } from "./gradient-descent.js";
import { StreamingLinearAlgorithm, type StreamingLinearOptions } from "./streaming-linear-algorithm.js";

/** Options of {@link StreamingLogisticRegressionWithSGD}. */
export interface StreamingLogisticOptions extends StreamingLinearOptions {
  /** L2 regularization parameter [0.0] (Spark's SquaredL2Updater). */
  regParam?: number;
  /**
   * The probability above which a prediction is class 1 [0.5], as MLlib's
   * `LogisticRegressionModel.setThreshold`; `null` predicts the probability itself (`clearThreshold`).
   */
  threshold?: number | null;
}

function requireThreshold(t: unknown, where: string): number | null {
  if (t === null) return null;
  if (typeof t !== "number" || !(t >= 0 && t <= 1)) throw new RangeError(`${where}: the threshold must be a probability in [0, 1], or null for raw probabilities; got ${String(t)}`);
  return t;
}

/**
 * Spark MLlib's `StreamingLogisticRegressionWithSGD`: binary logistic regression (labels 0 and 1)
 * trained by SGD with every batch, with Spark's LogisticRegressionWithSGD gradient and L2 updater.
 * Predictions are classes: 1 when σ(w·x) > the threshold (0.5 unless set), else 0; with the
 * threshold cleared, the probability σ(w·x) itself. In MLlib the threshold belongs to the model
 * `latestModel()` returns, which every batch replaces with a new model at 0.5; here it is the
 * algorithm's, so it holds for every later prediction. It is configuration, not checkpointed state.
 */
export class StreamingLogisticRegressionWithSGD extends StreamingLinearAlgorithm {
  protected readonly sgd: { gradient: GradientKind; l2: boolean; regParam: number };
  #threshold: number | null;

  constructor(options: StreamingLogisticOptions = {}) {
    super(options, "StreamingLogisticRegressionWithSGD");
    const regParam = options.regParam ?? 0;
    if (typeof regParam !== "number" || !(regParam >= 0) || !Number.isFinite(regParam)) {
      throw new RangeError(`StreamingLogisticRegressionWithSGD regParam must be a finite number ≥ 0; got ${String(options.regParam)}`);
    }
    this.sgd = { gradient: "logistic", l2: true, regParam };
    this.#threshold = requireThreshold(options.threshold === undefined ? 0.5 : options.threshold, "StreamingLogisticRegressionWithSGD");
  }

  /** The probability above which predictions are class 1; undefined when cleared (predictions are probabilities). */
  get threshold(): number | undefined {
    return this.#threshold ?? undefined;
  }

  /** Predictions are 1 when σ(w·x) > `threshold`, else 0 (MLlib's `setThreshold`). */
  setThreshold(threshold: number): this {
    this.#threshold = requireThreshold(threshold, "setThreshold");
    return this;
  }

  /** Predictions are the probabilities σ(w·x) themselves (MLlib's `clearThreshold`). */
  clearThreshold(): this {
    this.#threshold = null;
    return this;
  }

  /** The L2 regularization parameter. */
  get regParam(): number {
    return this.sgd.regParam;
  }

  protected predictMargin(margin: number): number {
    const p = 1 / (1 + Math.exp(-margin));
    return this.#threshold === null ? p : p > this.#threshold ? 1 : 0;
  }

  protected checkLabel(label: number, time: Time): void {
    // Spark's binaryLabelValidator fails the whole run the same way.
    if (label !== 0 && label !== 1) throw new RangeError(`StreamingLogisticRegressionWithSGD needs labels 0 or 1; got ${label} in batch ${time}`);
  }
}
