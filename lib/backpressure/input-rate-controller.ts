import type { BatchInfo } from "../listener.js";
import type { RateEstimator } from "./pid-rate-estimator.js";

/**
 * What an input consults to bound how many records it takes in: receivers retune their token
 * bucket from it, and a direct stream (JetStream) clamps the ranges it plans with
 * {@link maxRecordsPerPartition} over `rate`.
 */
export interface InputRateLimit {
  readonly streamId: number;
  /** The current bound in records/s (never above `maxRate`); undefined while unbounded. */
  readonly rate: number | undefined;
  /** The configured ceiling (`maxRate`, or the sum of `maxRatePerPartition`), if any. */
  readonly maxRate: number | undefined;
  /** Calls `fn` with every new bound; returns a function that stops the calls. */
  onChange(fn: (rate: number) => void): () => void;
}

/**
 * One input's rate under backpressure (Spark's RateController): after each completed batch it
 * feeds the input's share of the batch to its estimator and publishes the new bound, capped at
 * `maxRate`.
 */
export class InputRateController implements InputRateLimit {
  private current: number | undefined;
  private readonly listeners = new Set<(rate: number) => void>();

  constructor(
    readonly streamId: number,
    private readonly estimator: RateEstimator,
    readonly maxRate: number | undefined,
    initialRate: number | undefined,
  ) {
    // Spark starts a receiver at min(initialRate, maxRate); without either it is unbounded until
    // the estimator has seen two batches.
    this.current = initialRate === undefined ? maxRate : Math.min(initialRate, maxRate ?? Infinity);
  }

  get rate(): number | undefined {
    return this.current;
  }

  onChange(fn: (rate: number) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Feeds a completed batch to the estimator; publishes the new bound when it gives one. */
  batchCompleted(info: BatchInfo): void {
    const end = info.processingEndTime;
    const processing = info.processingDelay;
    const scheduling = info.schedulingDelay;
    const records = info.streamIdToInputInfo?.[this.streamId]?.numRecords;
    if (end === undefined || processing === undefined || scheduling === undefined || records === undefined) return;
    const estimate = this.estimator.compute(end, records, processing, scheduling);
    if (estimate === undefined || !(estimate > 0)) return;
    this.current = Math.min(estimate, this.maxRate ?? Infinity);
    for (const fn of [...this.listeners]) fn(this.current);
  }
}
