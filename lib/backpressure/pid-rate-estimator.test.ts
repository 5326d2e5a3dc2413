import { describe, expect, it } from "vitest";
import { maxRecordsPerPartition } from "./partition-limits.js";
import { PID_DEFAULTS, PIDRateEstimator } from "./pid-rate-estimator.js";

// The cases of Spark's PIDRateEstimatorSuite, on dstream's estimator.
describe("PIDRateEstimator", () => {
  it("has Spark's defaults", () => {
    expect(PID_DEFAULTS).toEqual({ proportional: 1.0, integral: 0.2, derived: 0.0, minRate: 100 });
  });

  it("checks its parameters", () => {
    expect(() => new PIDRateEstimator(0)).toThrow(RangeError);
    expect(() => new PIDRateEstimator(100, { proportional: -1 })).toThrow(/proportional/);
    expect(() => new PIDRateEstimator(100, { integral: -0.1 })).toThrow(/integral/);
    expect(() => new PIDRateEstimator(100, { derived: -1 })).toThrow(/derived/);
    expect(() => new PIDRateEstimator(100, { minRate: 0 })).toThrow(/minRate/);
  });

  it("gives no estimate on the first batch, one on the second", () => {
    const p = new PIDRateEstimator(20);
    expect(p.compute(0, 10, 10, 0)).toBeUndefined();
    expect(p.compute(10, 10, 10, 0)).toBeDefined();
  });

  it("gives no estimate without time passing, without records, or without processing time", () => {
    const p = new PIDRateEstimator(20);
    expect(p.compute(10, 10, 10, 0)).toBeUndefined();
    expect(p.compute(10, 10, 10, 0)).toBeUndefined(); // same time
    expect(p.compute(20, 0, 10, 0)).toBeUndefined(); // no records
    expect(p.compute(30, 10, 0, 0)).toBeUndefined(); // no processing time
    expect(p.compute(40, 10, 10, 0)).toBeDefined();
  });

  it("never estimates below minRate", () => {
    const p = new PIDRateEstimator(20, { proportional: 1, integral: 1, derived: 0, minRate: 10 });
    p.compute(0, 10_000, 100, 0);
    // A huge scheduling delay drives the formula far below zero.
    expect(p.compute(20, 10, 100, 1_000_000)).toBe(10);
  });

  it("without scheduling delay, follows the processing rate (proportional term 1)", () => {
    const p = new PIDRateEstimator(20, { proportional: 1, integral: 1, derived: 0, minRate: 10 });
    p.compute(0, 1000, 100, 0); // 10,000 records/s
    expect(p.compute(20, 2000, 100, 0)).toBeCloseTo(20_000, 6);
    expect(p.compute(40, 500, 100, 0)).toBeCloseTo(5_000, 6);
  });

  it("with scheduling delay, stays below the processing rate by integral × delay × rate / interval", () => {
    const p = new PIDRateEstimator(1000);
    p.compute(1000, 2000, 1000, 0); // 2,000 records/s
    // error 0, historical error 1500 ms × 2000/s / 1000 ms = 3000: 2000 − 0.2 × 3000 = 1400 (Spark's default integral).
    expect(p.compute(2000, 2000, 1000, 1500)).toBeCloseTo(1400, 6);
    // error 1400 − 2000 = −600; historical 3000 × 2000 / 1000 = 6000: 1400 + 600 − 1200 = 800.
    expect(p.compute(3000, 1400, 700, 3000)).toBeCloseTo(800, 6);
  });
});

describe("maxRecordsPerPartition (a direct stream's clamp)", () => {
  it("shares the rate by lag, caps each share at maxRatePerPartition, per batch of seconds", () => {
    expect(maxRecordsPerPartition([300, 100, 0], { rate: 1000, maxRatePerPartition: undefined, batchDuration: 2000 })).toEqual([1500, 500, 1]);
    expect(maxRecordsPerPartition([300, 100], { rate: 1000, maxRatePerPartition: 400, batchDuration: 1000 })).toEqual([400, 250]);
    expect(maxRecordsPerPartition([5, 5], { rate: undefined, maxRatePerPartition: 10, batchDuration: 500 })).toEqual([5, 5]);
    expect(maxRecordsPerPartition([5, 5], { rate: undefined, maxRatePerPartition: undefined, batchDuration: 500 })).toBeUndefined();
    expect(maxRecordsPerPartition([0, 0], { rate: 100, maxRatePerPartition: undefined, batchDuration: 500 })).toBeUndefined();
  });
});
