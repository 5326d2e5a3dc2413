/**
 * A crash at any storage write (inside plans, commits and snapshots) changes no model: the models
 * after each batch equal those of a run without a crash. The process dies at the k-th write, a new
 * one recovers on the same checkpoint and finishes (lib/test-support/event-time-run.ts drives it).
 */
import { describe, expect, it } from "vitest";
import type { DStream } from "../dstream/internal.js";
import { runEventTime } from "../test-support/event-time-run.js";
import { kMeansData, logisticData, modelPerBatch } from "../test-support/ml-run.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { StreamingKMeans } from "./streaming-kmeans.js";
import { StreamingLogisticRegressionWithSGD } from "./streaming-logistic-regression.js";
import type { LabeledPoint, Vector } from "./vectors.js";

const tempDir = tempDirs("dstream-ml-crash-");

async function everyWrite<T>(input: T[][], job: (s: DStream<T>) => DStream<unknown>): Promise<void> {
  const build = (s: DStream<T>) => ({ out: job(s) });
  const clean = await runEventTime(await tempDir(), input, build);
  expect(clean.outputs.flat()).toHaveLength(input.length);
  expect(clean.writes).toBeGreaterThan(input.length);
  for (let k = 0; k < clean.writes; k++) {
    const crashed = await runEventTime(await tempDir(), input, build, { crashAtWrite: k });
    expect(crashed.outputs, `crash at write ${k}`).toEqual(clean.outputs);
  }
}

describe("streaming ML: a crash at any storage write changes no model", () => {
  it("StreamingKMeans (decay per point, an empty batch)", async () => {
    const { input } = kMeansData(6, 6, 2, 3, 0.3, 5);
    input.splice(2, 0, []);
    await everyWrite<Vector>(input, modelPerBatch(() => new StreamingKMeans({ k: 2, halfLife: [4, "points"] }).setRandomCenters(3, 1, 9)));
  }, 120_000);

  it("StreamingLogisticRegressionWithSGD (mini-batch fraction 0.6)", async () => {
    const input = Array.from({ length: 6 }, (_x, i) => logisticData(0, 2, 20, 7 * (i + 1)));
    await everyWrite<LabeledPoint>(input, modelPerBatch(() => new StreamingLogisticRegressionWithSGD({ initialWeights: [0], miniBatchFraction: 0.6, numIterations: 5, stepSize: 0.5 })));
  }, 120_000);
});
