import type { BatchInfo, StreamingListener } from "../listener.js";
import type { Duration } from "../time.js";
import { InputRateController } from "./input-rate-controller.js";
import { PIDRateEstimator } from "./pid-rate-estimator.js";

/** `backpressure` option of a StreamingContext (Spark's `spark.streaming.backpressure.*`). */
export interface BackpressureOptions {
  /** Records/s each input may take before the first estimate; default: unbounded (up to `maxRate`). */
  initialRate?: number;
  /** The estimator never goes below this many records/s; default 100 (Spark's). */
  minRate?: number;
}

/**
 * Backpressure for a context: one {@link InputRateController} (a PID estimator) per input that
 * registers, updated from every completed batch. Registered on the context's listener bus.
 */
export class Backpressure implements StreamingListener {
  private readonly controllers = new Map<number, InputRateController>();
  private readonly initialRate: number | undefined;
  private readonly minRate: number | undefined;

  /** Undefined when `option` is false or missing; checks the options otherwise. */
  static fromOption(option: boolean | BackpressureOptions | undefined, batchDuration: Duration): Backpressure | undefined {
    if (option === undefined || option === false) return undefined;
    if (option === true) return new Backpressure(batchDuration, {});
    if (typeof option !== "object" || option === null) throw new TypeError(`backpressure expects true, false or { initialRate?, minRate? }; got ${String(option)}`);
    return new Backpressure(batchDuration, option);
  }

  constructor(
    private readonly batchDuration: Duration,
    options: BackpressureOptions,
  ) {
    this.initialRate = positiveRate(options.initialRate, "backpressure.initialRate");
    this.minRate = positiveRate(options.minRate, "backpressure.minRate");
  }

  /** The rate limit of input `streamId`, created on first call; `maxRate` caps every estimate. */
  register(streamId: number, maxRate: number | undefined): InputRateController {
    let c = this.controllers.get(streamId);
    if (c === undefined) {
      const estimator = new PIDRateEstimator(this.batchDuration, this.minRate === undefined ? {} : { minRate: this.minRate });
      c = new InputRateController(streamId, estimator, maxRate, this.initialRate);
      this.controllers.set(streamId, c);
    }
    return c;
  }

  /** The rate limit of input `streamId`, if it registered. */
  limitOf(streamId: number): InputRateController | undefined {
    return this.controllers.get(streamId);
  }

  onBatchCompleted(e: { batchInfo: BatchInfo }): void {
    for (const c of this.controllers.values()) c.batchCompleted(e.batchInfo);
  }
}

function positiveRate(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number of records per second; got ${String(value)}`);
  return value;
}
