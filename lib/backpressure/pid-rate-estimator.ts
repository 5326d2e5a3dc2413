/**
 * Spark's PIDRateEstimator, unchanged in behaviour: a proportional-integral-derivative controller
 * on the rate at which an input takes in records, fed by each completed batch.
 *
 * The error is the difference between the rate it set for the last batch and the rate the job
 * actually processed records at; the integral term is the scheduling delay, read as records that
 * overflowed earlier batches (delay × processing rate), spread over one batch interval.
 */
export interface RateEstimator {
  /**
   * The new rate (records/s) after the batch that finished at `time` processed `numElements`
   * records in `processingDelay` ms after waiting `schedulingDelay` ms; undefined when this batch
   * gives no new estimate (the first one, an empty one, one that took no time).
   */
  compute(time: number, numElements: number, processingDelay: number, schedulingDelay: number): number | undefined;
}

/** Spark's defaults (`spark.streaming.backpressure.pid.*`). */
export const PID_DEFAULTS = {
  /** How much the correction depends on the current error; 1.0. */
  proportional: 1.0,
  /** How much it depends on the accumulated error (the scheduling delay); 0.2. */
  integral: 0.2,
  /** How much it depends on the error's rate of change; 0 (it destabilises the loop). */
  derived: 0.0,
  /** Never estimate below this many records/s: some data must flow for the estimate to work; 100. */
  minRate: 100,
} as const;

/** Options of {@link PIDRateEstimator}; each defaults to {@link PID_DEFAULTS}. */
export interface PIDOptions {
  proportional?: number;
  integral?: number;
  derived?: number;
  minRate?: number;
}

/** Spark's PID rate estimator for one input (see the file comment). */
export class PIDRateEstimator implements RateEstimator {
  private readonly proportional: number;
  private readonly integral: number;
  private readonly derived: number;
  readonly minRate: number;
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;

  constructor(
    private readonly batchIntervalMillis: number,
    options: PIDOptions = {},
  ) {
    if (!(batchIntervalMillis > 0)) throw new RangeError(`PIDRateEstimator batch interval must be a positive number of ms; got ${batchIntervalMillis}`);
    this.proportional = nonNegative(options.proportional ?? PID_DEFAULTS.proportional, "proportional");
    this.integral = nonNegative(options.integral ?? PID_DEFAULTS.integral, "integral");
    this.derived = nonNegative(options.derived ?? PID_DEFAULTS.derived, "derived");
    this.minRate = options.minRate ?? PID_DEFAULTS.minRate;
    if (!(this.minRate > 0) || !Number.isFinite(this.minRate)) throw new RangeError(`PIDRateEstimator minRate must be a positive number of records/s; got ${String(options.minRate)}`);
  }

  compute(time: number, numElements: number, processingDelay: number, schedulingDelay: number): number | undefined {
    if (!(time > this.latestTime && numElements > 0 && processingDelay > 0)) return undefined;
    // In seconds; close to the batch interval.
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    const processingRate = (numElements / processingDelay) * 1000;
    // The desired rate is the one estimated for the previous batch.
    const error = this.latestRate - processingRate;
    // A scheduling delay s means s × processingRate records overflowed earlier batches; spread over
    // one batch interval, that is the rate we overshot by: the integral ("historical") error.
    const historicalError = (schedulingDelay * processingRate) / this.batchIntervalMillis;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(this.minRate, this.latestRate - this.proportional * error - this.integral * historicalError - this.derived * dError);
    this.latestTime = time;
    if (this.firstRun) {
      // Nothing to correct yet: the first batch only tells how fast the job processes.
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}

function nonNegative(n: number, what: string): number {
  if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`PIDRateEstimator ${what} must be a number >= 0; got ${String(n)}`);
  return n;
}
