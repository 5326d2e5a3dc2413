import type { SchedulingClock } from "../clock.js";
import { describe } from "../rdd/validate.js";

/**
 * A token bucket of `rate` records per second on the context's clock, shared by a receiver's
 * `store` (the block generator takes only what the bucket allows at each cut) and `storeMany`
 * (which waits). It holds at most one second's worth of tokens; a large `storeMany` may borrow
 * beyond that and later callers wait for the debt to be paid (Guava's RateLimiter, which Spark uses).
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private currentRate: number,
    private readonly clock: SchedulingClock,
  ) {
    this.tokens = currentRate;
    this.last = clock.now();
  }

  /** Records per second; Infinity while unbounded (backpressure before its first estimate). */
  get rate(): number {
    return this.currentRate;
  }

  /** Changes the rate (backpressure): tokens earned so far count at the old rate, capped at the new one. */
  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`RateLimiter.setRate expects a positive number of records per second; got ${rate}`);
    this.refill();
    this.currentRate = rate;
    this.tokens = Math.min(this.tokens, rate);
  }

  /** Takes up to `wanted` tokens that are available now, without waiting; returns how many. */
  takeAvailable(wanted: number): number {
    this.refill();
    const n = Math.max(0, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= n;
    return n;
  }

  /**
   * Reserves `n` tokens and returns the clock time at which the caller may proceed (now, when
   * enough tokens are in the bucket).
   */
  reserve(n: number): number {
    this.refill();
    const now = this.clock.now();
    const waitMs = this.tokens >= n ? 0 : Math.ceil(((n - this.tokens) / this.currentRate) * 1000);
    this.tokens -= n;
    return now + waitMs;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.currentRate, this.tokens + ((now - this.last) * this.currentRate) / 1000);
      this.last = now;
    }
  }
}

/** Checks a `maxRate` option: a positive, finite number of records per second. */
export function requireRate(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw new TypeError(`Receiver maxRate must be a number of records per second (or left out for no limit); got ${describe(value)}`);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Receiver maxRate must be a positive number of records per second (or left out for no limit); got ${String(value)}`);
  }
  return value;
}
