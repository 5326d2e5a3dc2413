/**
 * Spark's StreamingLinearRegressionSuite, translated (its assertions and tolerances; our own seeded
 * data from Spark's LinearDataGenerator), plus recovery at every batch position and bad input.
 */
import { describe, expect, it } from "vitest";
import type { DStream } from "../dstream/internal.js";
import { linearData, modelPerBatch, runBatches, trainAndPredict } from "../test-support/ml-run.js";
import { StreamTest } from "../test-support/stream-test.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { StreamingLinearRegressionWithSGD } from "./streaming-linear-regression.js";
import type { LabeledPoint } from "./vectors.js";

const tempDir = tempDirs("dstream-linreg-");

const batches = (weights: number[], n: number, nPoints = 100) => Array.from({ length: n }, (_x, i) => linearData(0, weights, nPoints, 42 * (i + 1)));
const meanAbsError = (batch: [number, number][], n: number) => batch.reduce((s, [a, b]) => s + Math.abs(a - b), 0) / n;

describe("StreamingLinearRegressionSuite", () => {
  it("parameter accuracy", async () => {
    const make = () => new StreamingLinearRegressionWithSGD({ initialWeights: [0, 0], stepSize: 0.2, numIterations: 25, convergenceTol: 0.0001 });
    const input = batches([10, 10], 10);
    const models = await runBatches(await tempDir(), input, modelPerBatch(make));
    const latest = models[9]![0]!;
    expect(Math.abs(latest.intercept - 0)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(latest.weights[0]! - 10)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(latest.weights[1]! - 10)).toBeLessThanOrEqual(0.1);
    // at least 80% of predictions within 0.5 of the label
    const validation = linearData(0, [10, 10], 100, 17);
    const off = validation.filter((p) => Math.abs(latest.weights[0]! * p.features[0]! + latest.weights[1]! * p.features[1]! - p.label) > 0.5).length;
    expect(off).toBeLessThan(validation.length / 5);
  });

  it("parameter convergence", async () => {
    const make = () => new StreamingLinearRegressionWithSGD({ initialWeights: [0], stepSize: 0.2, numIterations: 25 });
    const models = await runBatches(await tempDir(), batches([10], 10), modelPerBatch(make));
    const history = models.map((b) => Math.abs(b[0]!.weights[0]! - 10));
    const deltas = history.slice(1).map((h, i) => h - history[i]!);
    // the error always shrinks, or grows by less than 0.1
    expect(deltas.every((d) => d <= 0.1), String(history)).toBe(true);
    // and shrinks on at least 2 batches
    expect(deltas.filter((d) => d < 0).length).toBeGreaterThan(1);
  });

  it("predictions", async () => {
    const make = () => new StreamingLinearRegressionWithSGD({ initialWeights: [10, 10], stepSize: 0.2, numIterations: 25 });
    const output = await runBatches(await tempDir(), batches([10, 10], 10), trainAndPredict(make, false));
    expect(output).toHaveLength(10);
    // mean absolute error always ≤ 0.1
    for (const batch of output) expect(meanAbsError(batch, 100)).toBeLessThanOrEqual(0.1);
  });

  it("training and prediction", async () => {
    const make = () => new StreamingLinearRegressionWithSGD({ initialWeights: [0, 0], stepSize: 0.2, numIterations: 25 });
    const output = await runBatches(await tempDir(), batches([10, 10], 10), trainAndPredict(make));
    // the prediction error improves: the updated model is being used
    const error = output.map((b) => meanAbsError(b, 100));
    expect(error[0]! - error[9]!).toBeGreaterThan(2);
  });

  it("handling empty RDDs in a stream", async () => {
    const make = () => new StreamingLinearRegressionWithSGD({ initialWeights: [0, 0], stepSize: 0.2, numIterations: 25 });
    let model: StreamingLinearRegressionWithSGD | undefined;
    const output = await runBatches(await tempDir(), Array.from({ length: 10 }, () => []), (s: DStream<LabeledPoint>) => {
      model = make();
      model.trainOn(s);
      return model.predictOnValues(s.map((p): [number, LabeledPoint["features"]] => [p.label, p.features]));
    });
    expect(output).toEqual(Array.from({ length: 10 }, () => []));
    expect(model?.latestModel()).toEqual({ weights: [0, 0], intercept: 0 });
  });
});

describe("StreamingLinearRegressionWithSGD", () => {
  it("a restart after every batch position gives the models of a run without one (mini-batch fraction 0.5)", async () => {
    const input = batches([3, -2], 8, 40);
    input.splice(2, 0, []);
    const make = () => new StreamingLinearRegressionWithSGD({ initialWeights: [0, 0], stepSize: 0.5, numIterations: 10, miniBatchFraction: 0.5, uid: "lr" });
    const expected = await runBatches(await tempDir(), input, modelPerBatch(make));
    expect(expected[8]![0]!.weights[0]).not.toBe(0);
    for (let k = 0; k <= input.length; k++) {
      expect(await runBatches(await tempDir(), input, modelPerBatch(make), k), `crash after ${k} batches`).toEqual(expected);
    }
  }, 120_000);

  it("rejects bad options and records with what was expected", async () => {
    expect(() => new StreamingLinearRegressionWithSGD({ stepSize: 0 })).toThrow(/stepSize must be a finite number > 0; got 0/);
    expect(() => new StreamingLinearRegressionWithSGD({ numIterations: 1.5 })).toThrow(/numIterations must be a positive integer/);
    expect(() => new StreamingLinearRegressionWithSGD({ miniBatchFraction: 0 })).toThrow(/miniBatchFraction must be in \(0, 1\]/);
    expect(() => new StreamingLinearRegressionWithSGD({ convergenceTol: -1 })).toThrow(RangeError);
    expect(() => new StreamingLinearRegressionWithSGD({ initialWeights: [] })).toThrow(/at least one feature/);
    expect(() => new StreamingLinearRegressionWithSGD().latestModel()).toThrow(/must be initialized first/);
    expect(new StreamingLinearRegressionWithSGD().setInitialWeights({ size: 3, indices: [1], values: [2] }).latestModel()).toEqual({ weights: [0, 2, 0], intercept: 0 });
    const t = new StreamTest<LabeledPoint, number>((s) => {
      new StreamingLinearRegressionWithSGD({ initialWeights: [0, 0] }).trainOn(s);
      return s.count();
    }, {}, await tempDir());
    t.addData({ label: 1, features: [1, 2, 3] });
    const ssc = await t.start();
    const failed = ssc.awaitTermination();
    await t.advance(1).catch(() => undefined);
    await expect(failed).rejects.toThrow(/the features of training point 0 of batch \d+ must have 2 entries/);
    await t.stop().catch(() => undefined);
  });
});
