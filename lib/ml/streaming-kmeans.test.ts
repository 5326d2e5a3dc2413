/**
 * Spark's StreamingKMeansSuite, translated (its assertions and tolerances; our own seeded data),
 * plus predictions, recovery at every batch position, and bad input.
 */
import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { expectVectorClose, kMeansData, modelPerBatch, runBatches } from "../test-support/ml-run.js";
import { StreamTest } from "../test-support/stream-test.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import type { KMeansModelState } from "./kmeans-model.js";
import { StreamingKMeans } from "./streaming-kmeans.js";
import type { Vector } from "./vectors.js";

const tempDir = tempDirs("dstream-kmeans-");

/** Trains a fresh model (made by `make`) on the input and outputs the model after each batch. */
async function train(make: () => StreamingKMeans, input: number[][][]): Promise<KMeansModelState[]> {
  const out = await runBatches(await tempDir(), input, modelPerBatch<Vector, KMeansModelState>(make));
  return out.map((b) => b[0] as KMeansModelState);
}

const sqdist = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - (b[i] as number)) ** 2, 0);

describe("StreamingKMeansSuite", () => {
  it("accuracy for single center and equivalence to grand average", async () => {
    const [numBatches, numPoints, k, d, r] = [10, 50, 1, 5, 0.1];
    const { input, centers } = kMeansData(numPoints, numBatches, k, d, r, 42);
    const models = await train(() => new StreamingKMeans({ k: 1, decayFactor: 1 }).setInitialCenters([[0, 0, 0, 0, 0]], [0]), input);
    const latest = models[numBatches - 1] as KMeansModelState;
    // estimated center should be close to true center
    expectVectorClose(latest.clusterCenters[0]!, centers[0]!, 1e-1, "center");
    // with decay factor 1 the estimate is exactly the arithmetic mean of all points
    const grandMean = Array.from({ length: d }, (_x, j) => input.flat().reduce((s, p) => s + (p[j] as number), 0) / (numBatches * numPoints));
    expectVectorClose(latest.clusterCenters[0]!, grandMean, 1e-5, "grand mean");
  });

  it("accuracy for two centers", async () => {
    const [numBatches, numPoints, k, d, r] = [10, 5, 2, 5, 0.1];
    const { input, centers } = kMeansData(numPoints, numBatches, k, d, r, 42);
    const models = await train(
      () =>
        new StreamingKMeans({ k: 2, halfLife: [2, "batches"] }).setInitialCenters(
          [
            [-0.1, 0.1, -0.2, -0.3, -0.1],
            [0.1, -0.2, 0.0, 0.2, 0.1],
          ],
          [5, 5],
        ),
      input,
    );
    const latest = (models[numBatches - 1] as KMeansModelState).clusterCenters;
    // cluster ordering is arbitrary, so choose the closest cluster
    const [c0, c1] = sqdist(latest[0]!, centers[0]!) < sqdist(latest[0]!, centers[1]!) ? [centers[0]!, centers[1]!] : [centers[1]!, centers[0]!];
    expectVectorClose(latest[0]!, c0, 1e-1, "center 0");
    expectVectorClose(latest[1]!, c1, 1e-1, "center 1");
  });

  it("detecting dying clusters", async () => {
    const [numBatches, numPoints, k, d, r] = [10, 5, 1, 1, 1.0];
    // new data are all around the first cluster 0.0. With a half-life of half a point the model is
    // the last batch's 5 points split in two, so the tolerance holds for some draws only (for
    // ~64% of seeds 0…199 with our generator); Spark's test passes for its seed 42, ours for 43.
    const { input } = kMeansData(numPoints, numBatches, k, d, r, 43, [[0]]);
    const models = await train(() => new StreamingKMeans({ k: 2, halfLife: [0.5, "points"] }).setInitialCenters([[0], [1000]], [1, 1]), input);
    const latest = (models[numBatches - 1] as KMeansModelState).clusterCenters;
    const c0 = latest[0]![0]!;
    const c1 = latest[1]![0]!;
    expect(c0 * c1, "one positive center and one negative center").toBeLessThan(0);
    // 0.8 is the mean of the half-normal distribution
    expect(Math.abs(Math.abs(c0) - 0.8)).toBeLessThanOrEqual(0.6);
    expect(Math.abs(Math.abs(c1) - 0.8)).toBeLessThanOrEqual(0.6);
  });

  it("SPARK-7946 setDecayFactor", () => {
    expect(new StreamingKMeans().decayFactor).toBe(1);
    expect(new StreamingKMeans({ decayFactor: 2 }).decayFactor).toBe(2);
    expect(new StreamingKMeans({ halfLife: [1, "points"] })).toMatchObject({ decayFactor: 0.5, timeUnit: "points" });
  });
});

describe("StreamingKMeans", () => {
  it("setRandomCenters is seeded: the same seed gives the same centers, another seed others", () => {
    const a = new StreamingKMeans({ k: 3 }).setRandomCenters(4, 1.5, 7).latestModel();
    expect(a).toEqual(new StreamingKMeans({ k: 3 }).setRandomCenters(4, 1.5, 7).latestModel());
    expect(a.clusterCenters).not.toEqual(new StreamingKMeans({ k: 3 }).setRandomCenters(4, 1.5, 8).latestModel().clusterCenters);
    expect(new StreamingKMeans({ k: 3, seed: 7 }).setRandomCenters(4, 1.5).latestModel()).toEqual(a);
    expect(a.clusterCenters.map((c) => c.length)).toEqual([4, 4, 4]);
    expect(a.clusterWeights).toEqual([1.5, 1.5, 1.5]);
  });

  it("predictOn and predictOnValues use the model of the same batch, after its training", async () => {
    const batches: [string, number[]][][] = [
      [["a", [0.2, 0]], ["b", [9, 9]]],
      [["c", [4.9, 5]], ["d", [0, 0.1]]],
      [["e", [5.6, 5.4]], ["f", [5.2, 5]]],
    ];
    let km: StreamingKMeans | undefined;
    const out = await runBatches(await tempDir(), batches, (s) => {
      km = new StreamingKMeans({ k: 2 }).setInitialCenters([[0, 0], [10, 10]], [1, 1]);
      km.trainOn(s.map(([, v]) => v));
      const byValue = km.predictOnValues(s);
      const plain = km.predictOn(s.map(([, v]) => v));
      return byValue.transformWith(plain, (a, b) => {
        const p = b.collect();
        return a.map(([key, c]) => [key, c, p.shift()] as [string, number, number | undefined]);
      });
    });
    // Batch 1: centers move to (0.1, 0.05) and (9.5, 9.5). Batch 2: (4.9, 5) is nearer the second,
    // which moves to (7.2, 7.25) with weight 3. Batch 3: both points go to it.
    expect(out).toEqual([
      [["a", 0, 0], ["b", 1, 1]],
      [["c", 1, 1], ["d", 0, 0]],
      [["e", 1, 1], ["f", 1, 1]],
    ]);
    expect(km?.latestModel().clusterWeights).toEqual([3, 5]);
  });

  it("a restart after every batch position gives the models of a run without one", async () => {
    const { input } = kMeansData(7, 8, 3, 2, 0.5, 11);
    input.splice(3, 0, []); // an empty batch still discounts the weights
    const make = () => new StreamingKMeans({ k: 3, halfLife: [3, "points"], uid: "km" }).setRandomCenters(2, 0, 5);
    const expected = await runBatches(await tempDir(), input, modelPerBatch<Vector, KMeansModelState>(make));
    for (let k = 0; k <= input.length; k++) {
      const got = await runBatches(await tempDir(), input, modelPerBatch<Vector, KMeansModelState>(make), k);
      expect(got, `crash after ${k} batches`).toEqual(expected);
    }
  }, 120_000);

  it("the model survives a restart with a changed setup: the checkpoint wins over the initial centers", async () => {
    const dir = await tempDir();
    let km: StreamingKMeans | undefined;
    let initial = [[0], [10]];
    const t = new StreamTest<number[], number>((s) => {
      km = new StreamingKMeans({ k: 2, uid: "km" }).setInitialCenters(initial, [1, 1]);
      km.trainOn(s);
      return s.count();
    }, {}, dir);
    t.addData([1], [3], [11]);
    await t.start();
    await t.advance(1);
    const before = km!.latestModel();
    expect(before).toEqual({ clusterCenters: [[4 / 3], [10.5]], clusterWeights: [3, 2] });
    await t.crash();
    initial = [[100], [200]];
    await t.restart();
    expect(km!.latestModel()).toEqual(before);
    await t.stop();
  });

  it("a checkpoint of another k is a mismatch, reported before anything runs", async () => {
    const dir = await tempDir();
    const run = async (k: number) => {
      const t = new StreamTest<number[], number>((s) => {
        new StreamingKMeans({ k }).setRandomCenters(1, 1).trainOn(s);
        return s.count();
      }, {}, dir);
      t.addData([1]);
      await t.start();
      await t.advance(1);
      await t.stop();
    };
    await run(2);
    await expect(run(3)).rejects.toSatisfy((e: unknown) => StreamingError.is(e, ErrorCodes.CHECKPOINT_MISMATCH));
  });

  it("rejects bad options and calls with what was expected", async () => {
    expect(() => new StreamingKMeans({ k: 0 })).toThrow(/k must be a positive integer; got 0/);
    expect(() => new StreamingKMeans({ decayFactor: 0.5, halfLife: [2, "batches"] })).toThrow(/not both/);
    expect(() => new StreamingKMeans({ halfLife: [0, "batches"] })).toThrow(RangeError);
    expect(() => new StreamingKMeans({ halfLife: [1, "seconds" as "batches"] })).toThrow(/"batches" or "points"/);
    expect(() => new StreamingKMeans({ k: 2 }).setInitialCenters([[0]], [1])).toThrow(/k = 2 centers; got 1/);
    expect(() => new StreamingKMeans().setRandomCenters(0, 1)).toThrow(RangeError);
    expect(() => new StreamingKMeans().latestModel()).toThrow(/initial cluster centers must be set first/);
    const t = new StreamTest<number[], number>((s) => {
      expect(() => new StreamingKMeans().trainOn(s)).toThrow(/must be set first/);
      const km = new StreamingKMeans().setRandomCenters(2, 1);
      km.trainOn(s);
      expect(() => km.trainOn(s)).toThrow(/already called in this StreamingContext/);
      return s.count();
    }, {}, await tempDir());
    t.addData([1, 2, 3]);
    const ssc = await t.start();
    const failed = ssc.awaitTermination();
    await t.advance(1).catch(() => undefined);
    await expect(failed).rejects.toThrow(/a training point must have 2 entries \(the model's dimension\); got 3/);
    await t.stop().catch(() => undefined);
  });
});
