/** runMiniBatchSgd against hand-computed steps of Spark's GradientDescent. */
import { describe, expect, it } from "vitest";
import { runMiniBatchSgd, type SgdOptions } from "./gradient-descent.js";
import type { LabeledPoint } from "./vectors.js";

const base: SgdOptions = { gradient: "leastSquares", l2: false, regParam: 0, stepSize: 0.1, numIterations: 2, miniBatchFraction: 1, convergenceTol: 0, seed: 1 };
const line: LabeledPoint[] = [
  { label: 2, features: [1] },
  { label: 4, features: [2] },
];
const run = (o: Partial<SgdOptions>, points = line, w = [0]) => Array.from(runMiniBatchSgd(points, Float64Array.from(w), { ...base, ...o }));

describe("runMiniBatchSgd", () => {
  it("least squares: averaged gradient, step stepSize/√i", () => {
    // i = 1: gradient ((0−2)·1 + (0−4)·2)/2 = −5, w = 0 + 0.1·5 = 0.5
    expect(run({ numIterations: 1 })).toEqual([0.5]);
    // i = 2: gradient ((0.5−2)·1 + (1−4)·2)/2 = −3.75, w = 0.5 + 0.1/√2·3.75
    expect(run({})[0]).toBeCloseTo(0.5 + (0.1 / Math.SQRT2) * 3.75, 15);
  });

  it("stops when consecutive iterates move less than convergenceTol·max(‖w‖, 1), never after the first step", () => {
    const two = run({ numIterations: 2 });
    // the second step moves 0.265 < 0.3: stop there
    expect(run({ numIterations: 10, convergenceTol: 0.3 })).toEqual(two);
    // a huge tolerance still takes two steps: the first is not tested
    expect(run({ numIterations: 10, convergenceTol: 1 })).toEqual(two);
    // 0.2 < 0.265: a third step
    expect(run({ numIterations: 10, convergenceTol: 0.2 })).not.toEqual(two);
  });

  it("logistic gradient with the squared L2 updater", () => {
    // σ(0) = 0.5, gradient (0.5 − 1)·1, w = 0 + 1·0.5
    expect(run({ gradient: "logistic", l2: true, stepSize: 1, numIterations: 1 }, [{ label: 1, features: [1] }])).toEqual([0.5]);
    // w = 2·(1 − 1·0.5) − 1·(σ(2) − 1)
    const s = 1 / (1 + Math.exp(-2));
    expect(run({ gradient: "logistic", l2: true, regParam: 0.5, stepSize: 1, numIterations: 1 }, [{ label: 1, features: [1] }], [2])[0]).toBeCloseTo(2 * 0.5 - (s - 1), 15);
  });

  it("sparse features give the dense result", () => {
    const dense = [
      { label: 1, features: [1, 0, 2] },
      { label: -1, features: [0, 3, 0] },
    ];
    const sparse = [
      { label: 1, features: { size: 3, indices: [0, 2], values: [1, 2] } },
      { label: -1, features: { size: 3, indices: [1], values: [3] } },
    ];
    expect(run({ numIterations: 5 }, sparse, [0.1, 0.2, 0.3])).toEqual(run({ numIterations: 5 }, dense, [0.1, 0.2, 0.3]));
  });

  it("no data: the initial weights", () => {
    expect(run({}, [], [3, 4])).toEqual([3, 4]);
  });

  it("a mini-batch fraction samples with the seed: the same seed, the same result", () => {
    const points = Array.from({ length: 200 }, (_x, i) => ({ label: i % 7, features: [i / 200, 1] }));
    const a = run({ miniBatchFraction: 0.3, numIterations: 20, seed: 99 }, points, [0, 0]);
    expect(run({ miniBatchFraction: 0.3, numIterations: 20, seed: 99 }, points, [0, 0])).toEqual(a);
    expect(run({ miniBatchFraction: 0.3, numIterations: 20, seed: 100 }, points, [0, 0])).not.toEqual(a);
    expect(run({ miniBatchFraction: 1, numIterations: 20, seed: 99 }, points, [0, 0])).not.toEqual(a);
  });
});
