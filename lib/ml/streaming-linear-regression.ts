import type { GradientKind } from "./gradient-descent.js";
import { StreamingLinearAlgorithm, type StreamingLinearOptions } from "./streaming-linear-algorithm.js";

/**
 * Spark MLlib's `StreamingLinearRegressionWithSGD`: least-squares linear regression (no
 * regularization, intercept 0, as Spark's LinearRegressionWithSGD) trained by SGD with every batch.
 *
 * ```ts
 * const lr = new StreamingLinearRegressionWithSGD({ initialWeights: [0, 0], stepSize: 0.2 });
 * lr.trainOn(training);
 * lr.predictOnValues(test.map((p) => [p.label, p.features])).print();
 * ```
 */
export class StreamingLinearRegressionWithSGD extends StreamingLinearAlgorithm {
  protected readonly sgd = { gradient: "leastSquares" as GradientKind, l2: false, regParam: 0 };

  constructor(options: StreamingLinearOptions = {}) {
    super(options, "StreamingLinearRegressionWithSGD");
  }

  protected predictMargin(margin: number): number {
    return margin;
  }

  protected checkLabel(): void {}
}
