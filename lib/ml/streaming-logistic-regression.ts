import type { Time } from "../time.js";
import type { GradientKind } from "./gradient-descent.js";
import { StreamingLinearAlgorithm, type StreamingLinearOptions } from "./streaming-linear-algorithm.js";

/** Options of {@link StreamingLogisticRegressionWithSGD}. */
export interface StreamingLogisticOptions extends StreamingLinearOptions {
  /** L2 regularization parameter [0.0] (Spark's SquaredL2Updater). */
  regParam?: number;
}

/**
 * Spark MLlib's `StreamingLogisticRegressionWithSGD`: binary logistic regression (labels 0 and 1)
 * trained by SGD with every batch, with Spark's LogisticRegressionWithSGD gradient and L2 updater.
 * Predictions are classes: 1 when σ(w·x) > 0.5, else 0 (Spark's default threshold).
 */
export class StreamingLogisticRegressionWithSGD extends StreamingLinearAlgorithm {
  protected readonly sgd: { gradient: GradientKind; l2: boolean; regParam: number };

  constructor(options: StreamingLogisticOptions = {}) {
    super(options, "StreamingLogisticRegressionWithSGD");
    const regParam = options.regParam ?? 0;
    if (typeof regParam !== "number" || !(regParam >= 0) || !Number.isFinite(regParam)) {
      throw new RangeError(`StreamingLogisticRegressionWithSGD regParam must be a finite number ≥ 0; got ${String(options.regParam)}`);
    }
    this.sgd = { gradient: "logistic", l2: true, regParam };
  }

  /** The L2 regularization parameter. */
  get regParam(): number {
    return this.sgd.regParam;
  }

  protected predictMargin(margin: number): number {
    return 1 / (1 + Math.exp(-margin)) > 0.5 ? 1 : 0;
  }

  protected checkLabel(label: number, time: Time): void {
    // Spark's binaryLabelValidator fails the whole run the same way.
    if (label !== 0 && label !== 1) throw new RangeError(`StreamingLogisticRegressionWithSGD needs labels 0 or 1; got ${label} in batch ${time}`);
  }
}
