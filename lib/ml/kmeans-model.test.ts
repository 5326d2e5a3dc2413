/** StreamingKMeansModel.update checked against hand-computed values of Spark's update rule. */
import { describe, expect, it } from "vitest";
import { StreamingKMeansModel } from "./kmeans-model.js";
import type { Vector } from "./vectors.js";

const batch = (points: Vector[]) => (visit: (p: Vector) => void) => points.forEach(visit);

describe("StreamingKMeansModel.update", () => {
  it("discounts per batch and moves each center to the weighted mean", () => {
    const m = StreamingKMeansModel.of([[0], [10]], [1, 1]).update(batch([[1], [2], [9]]), 0.5, "batches");
    // weights 1 → 0.5; cluster 0 takes 1 and 2: w = 2.5, λ = 0.8, c = 0.2·0 + 0.8/2·3 = 1.2;
    // cluster 1 takes 9: w = 1.5, λ = 2/3, c = 10/3 + 2/3·9 = 9⅓.
    const s = m.toState();
    expect(s.clusterWeights).toEqual([2.5, 1.5]);
    expect(s.clusterCenters[0]![0]).toBeCloseTo(1.2, 14);
    expect(s.clusterCenters[1]![0]).toBeCloseTo(28 / 3, 14);
  });

  it("discounts per point with timeUnit points: decayFactor^n for n new points", () => {
    const s = StreamingKMeansModel.of([[0], [10]], [1, 1]).update(batch([[1], [2], [9]]), 0.5, "points").toState();
    // discount 0.5³ = 0.125: cluster 0: w = 2.125, c = (2/2.125)/2·3; cluster 1: w = 1.125, c = (0.125·10 + 9)/1.125
    expect(s.clusterWeights).toEqual([2.125, 1.125]);
    expect(s.clusterCenters[0]![0]).toBeCloseTo(3 / 2.125, 14);
    expect(s.clusterCenters[1]![0]).toBeCloseTo((0.125 * 10 + 9) / 1.125, 14);
  });

  it("with decay 1 a center is the running mean of all its points", () => {
    let m = StreamingKMeansModel.of([[0, 0]], [0]);
    m = m.update(batch([[1, 2], [3, 4]]), 1, "batches");
    m = m.update(batch([[5, 6]]), 1, "batches");
    const s = m.toState();
    expect(s.clusterWeights).toEqual([3]);
    expect(s.clusterCenters[0]![0]).toBeCloseTo(3, 14);
    expect(s.clusterCenters[0]![1]).toBeCloseTo(4, 14);
  });

  it("an empty batch only discounts the weights", () => {
    const s = StreamingKMeansModel.of([[1, 1], [5, 5]], [4, 2]).update(batch([]), 0.5, "batches").toState();
    expect(s).toEqual({ clusterCenters: [[1, 1], [5, 5]], clusterWeights: [2, 1] });
    // per point, no points: discount 0.5⁰ = 1
    expect(StreamingKMeansModel.of([[1, 1], [5, 5]], [4, 2]).update(batch([]), 0.5, "points").toState().clusterWeights).toEqual([4, 2]);
  });

  it("splits the largest cluster when the smallest is dying (weight < 1e-8 of the largest)", () => {
    // decay 0: old weights vanish; cluster 0 takes both points (w = 2, c = 2); cluster 1 has weight 0.
    const s = StreamingKMeansModel.of([[0], [1000]], [1, 1]).update(batch([[1], [3]]), 0, "batches").toState();
    expect(s.clusterWeights).toEqual([1, 1]);
    expect(s.clusterCenters[0]![0]).toBe(2 + 2e-14);
    expect(s.clusterCenters[1]![0]).toBe(2 - 2e-14);
  });

  it("a cluster not yet dying is left alone", () => {
    const s = StreamingKMeansModel.of([[0], [1000]], [1, 1e-7]).update(batch([]), 1, "batches").toState();
    expect(s).toEqual({ clusterCenters: [[0], [1000]], clusterWeights: [1, 1e-7] });
  });

  it("predicts the nearest center, the lowest index on a tie", () => {
    const m = StreamingKMeansModel.of([[0, 0], [2, 0], [0, 2]], [1, 1, 1]);
    expect(m.predict([1.9, 0.1])).toBe(1);
    expect(m.predict([0.1, 1.5])).toBe(2);
    expect(m.predict([1, 0])).toBe(0);
    expect(m.predict({ size: 2, indices: [1], values: [1.8] })).toBe(2);
  });

  it("sparse points update exactly as their dense form", () => {
    const init = StreamingKMeansModel.of([[0, 0, 0], [4, 4, 4]], [1, 3]);
    const dense = init.update(batch([[1, 0, 0], [0, 0, 5], [3, 4, 5]]), 0.7, "batches").toState();
    const sparse = init
      .update(batch([{ size: 3, indices: [0], values: [1] }, { size: 3, indices: [2], values: [5] }, { size: 3, indices: [0, 1, 2], values: [3, 4, 5] }]), 0.7, "batches")
      .toState();
    expect(sparse).toEqual(dense);
  });

  it("leaves the model it was called on as it was", () => {
    const m = StreamingKMeansModel.of([[0]], [1]);
    m.update(batch([[4]]), 1, "batches");
    expect(m.toState()).toEqual({ clusterCenters: [[0]], clusterWeights: [1] });
  });

  it("rejects bad centers, weights and points with what was expected", () => {
    expect(() => StreamingKMeansModel.of([], [])).toThrow(TypeError);
    expect(() => StreamingKMeansModel.of([[0, 1], [1]], [1, 1])).toThrow(/center 1 has 1 entries; center 0 has 2/);
    expect(() => StreamingKMeansModel.of([[0]], [1, 2])).toThrow(/one weight per center \(1\); got 2 weights/);
    expect(() => StreamingKMeansModel.of([[0]], [-1])).toThrow(RangeError);
    expect(() => StreamingKMeansModel.of([[0]], [1]).predict([1, 2])).toThrow(/must have 1 entries .*; got 2/);
    expect(() => StreamingKMeansModel.of([[0]], [1]).update(batch(["x" as unknown as Vector]), 1, "batches")).toThrow(/a training point must be a vector/);
  });
});
