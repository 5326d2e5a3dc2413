/**
 * Spark's StreamingLogisticRegressionSuite, translated (its assertions and tolerances; our own
 * seeded data from Spark's generateLogisticInput), plus prediction classes, recovery and labels.
 */
import { describe, expect, it } from "vitest";
import type { DStream } from "../dstream/internal.js";
import { logisticData, modelPerBatch, runBatches, trainAndPredict } from "../test-support/ml-run.js";
import { StreamTest } from "../test-support/stream-test.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { StreamingLogisticRegressionWithSGD } from "./streaming-logistic-regression.js";
import type { LabeledPoint } from "./vectors.js";

const tempDir = tempDirs("dstream-logreg-");

const batches = (scale: number, n: number, nPoints = 100) => Array.from({ length: n }, (_x, i) => logisticData(0, scale, nPoints, 42 * (i + 1)));
const errorRate = (batch: [number, number][], n: number) => batch.reduce((s, [a, b]) => s + Math.abs(a - b), 0) / n;
const B = 1.5;

describe("StreamingLogisticRegressionSuite", () => {
  it("parameter accuracy", async () => {
    const make = () => new StreamingLogisticRegressionWithSGD({ initialWeights: [0], stepSize: 0.2, numIterations: 25 });
    const models = await runBatches(await tempDir(), batches(B, 20), modelPerBatch(make));
    const w = models[19]![0]!.weights[0]!;
    // ~== B relTol 0.1
    expect(Math.abs(w - B) / Math.min(Math.abs(w), Math.abs(B))).toBeLessThan(0.1);
  });

  it("parameter convergence", async () => {
    const make = () => new StreamingLogisticRegressionWithSGD({ initialWeights: [0], stepSize: 0.2, numIterations: 25 });
    const models = await runBatches(await tempDir(), batches(B, 20), modelPerBatch(make));
    const history = models.map((b) => Math.abs(b[0]!.weights[0]! - B));
    const deltas = history.slice(1).map((h, i) => h - history[i]!);
    expect(deltas.every((d) => d <= 0.1), String(history)).toBe(true);
    expect(deltas.filter((d) => d < 0).length).toBeGreaterThan(1);
  });

  it("predictions", async () => {
    const make = () => new StreamingLogisticRegressionWithSGD({ initialWeights: [1.5], stepSize: 0.2, numIterations: 25 });
    const output = await runBatches(await tempDir(), batches(B, 10), trainAndPredict(make, false));
    expect(output).toHaveLength(10);
    // at least 60% of predictions are correct on all batches
    for (const batch of output) expect(errorRate(batch, 100)).toBeLessThanOrEqual(0.4);
  });

  it("training and prediction", async () => {
    const make = () => new StreamingLogisticRegressionWithSGD({ initialWeights: [-0.1], stepSize: 0.01, numIterations: 10 });
    const output = await runBatches(await tempDir(), batches(5, 10), trainAndPredict(make));
    // the prediction error improves: the updated model is being used
    const error = output.map((b) => errorRate(b, 100));
    expect(error[0], String(error)).toBeGreaterThan(0.8);
    expect(error[9], String(error)).toBeLessThan(0.2);
  });

  it("handling empty RDDs in a stream", async () => {
    const make = () => new StreamingLogisticRegressionWithSGD({ initialWeights: [-0.1], stepSize: 0.01, numIterations: 10 });
    const output = await runBatches(await tempDir(), Array.from({ length: 10 }, () => []), trainAndPredict(make));
    expect(output).toEqual(Array.from({ length: 10 }, () => []));
  });
});

describe("StreamingLogisticRegressionWithSGD", () => {
  it("predicts class 1 when σ(w·x) > 0.5, else 0", async () => {
    const output = await runBatches(await tempDir(), [[[2], [-1], [0]]], (s: DStream<number[]>) =>
      new StreamingLogisticRegressionWithSGD({ initialWeights: [1] }).predictOn(s),
    );
    expect(output).toEqual([[1, 0, 0]]);
  });

  it("the threshold decides the class, and cleared, predictions are the probabilities (MLlib's set/clearThreshold)", async () => {
    // σ(2) = 0.881, σ(-1) = 0.269, σ(0) = 0.5, σ(1) = 0.731
    const input = [[[2], [-1], [0], [1]]];
    const predict = (make: () => StreamingLogisticRegressionWithSGD) => async () => runBatches(await tempDir(), input, (s: DStream<number[]>) => make().predictOn(s));
    expect(await predict(() => new StreamingLogisticRegressionWithSGD({ initialWeights: [1], threshold: 0.8 }))()).toEqual([[1, 0, 0, 0]]);
    expect(await predict(() => new StreamingLogisticRegressionWithSGD({ initialWeights: [1] }).setThreshold(0.2))()).toEqual([[1, 1, 1, 1]]);
    const [probs] = await predict(() => new StreamingLogisticRegressionWithSGD({ initialWeights: [1] }).clearThreshold())();
    expect(probs).toHaveLength(4);
    [0.8808, 0.2689, 0.5, 0.7311].forEach((p, i) => expect(probs![i]).toBeCloseTo(p, 4));
    const m = new StreamingLogisticRegressionWithSGD({ threshold: null });
    expect(m.threshold).toBeUndefined();
    expect(m.setThreshold(0.3).threshold).toBe(0.3);
    expect(new StreamingLogisticRegressionWithSGD().threshold).toBe(0.5);
    expect(() => new StreamingLogisticRegressionWithSGD({ threshold: 1.5 })).toThrow(/threshold must be a probability in \[0, 1\], or null for raw probabilities; got 1.5/);
    expect(() => m.setThreshold(Number.NaN)).toThrow(/setThreshold: the threshold must be a probability/);
  });

  it("regParam shrinks the weights (Spark's SquaredL2Updater)", async () => {
    const input = batches(B, 5);
    const final = async (regParam: number) => (await runBatches(await tempDir(), input, modelPerBatch(() => new StreamingLogisticRegressionWithSGD({ initialWeights: [0], regParam, convergenceTol: 0 }))))[4]![0]!.weights[0]!;
    expect(Math.abs(await final(0.5))).toBeLessThan(Math.abs(await final(0)));
  });

  it("a restart after every batch position gives the models of a run without one", async () => {
    const input = batches(B, 6, 30);
    input.splice(4, 0, []);
    const make = () => new StreamingLogisticRegressionWithSGD({ initialWeights: [0], stepSize: 0.5, numIterations: 5, miniBatchFraction: 0.7, regParam: 0.01 });
    const expected = await runBatches(await tempDir(), input, modelPerBatch(make));
    for (let k = 0; k <= input.length; k++) {
      expect(await runBatches(await tempDir(), input, modelPerBatch(make), k), `crash after ${k} batches`).toEqual(expected);
    }
  }, 120_000);

  it("rejects labels other than 0 and 1, and a negative regParam", async () => {
    expect(() => new StreamingLogisticRegressionWithSGD({ regParam: -1 })).toThrow(/regParam must be a finite number ≥ 0; got -1/);
    const t = new StreamTest<LabeledPoint, number>((s) => {
      new StreamingLogisticRegressionWithSGD({ initialWeights: [0] }).trainOn(s);
      return s.count();
    }, {}, await tempDir());
    t.addData({ label: 2, features: [1] });
    const ssc = await t.start();
    const failed = ssc.awaitTermination();
    await t.advance(1).catch(() => undefined);
    await expect(failed).rejects.toThrow(/needs labels 0 or 1; got 2/);
    await t.stop().catch(() => undefined);
  });
});
