import type { SchedulingClock, TimerHandle } from "../clock.js";
import type { Duration } from "../time.js";
import type { RateLimiter } from "./rate-limiter.js";

/** Block cuts run before batch generation due at the same instant (the scheduler uses 10). */
export const BLOCK_CUT_PRIORITY = 0;

/** `onOverflow` fires when the buffer holds this many times its bound (Spark's blockQueueSize, 10). */
const OVERFLOW_FACTOR = 10;

/**
 * Buffers what `Receiver.store` is given and cuts it into a block every `blockInterval` on the
 * context's clock, on the grid of multiples of the interval (Spark's BlockGenerator). With a rate
 * limiter, a cut takes only the records the bucket allows; the rest wait for later cuts.
 *
 * Spark's `store` blocks the receiving thread at the rate limit, so its buffer never outgrows the
 * rate. JavaScript cannot block: {@link add} always takes the record (a record handed over is
 * never dropped) and returns {@link room}, a promise that stays pending while the buffer holds
 * one second's worth of records at the current rate or more (the limiter's bucket size), and
 * resolves once cuts have taken it below that. A receiver that awaits it stores no faster than
 * the rate; one that ignores it is told once per overflow through `onOverflow`.
 */
export class BlockGenerator {
  private buffer: unknown[] = [];
  private timer: TimerHandle | undefined;
  /** Callers of `room()` waiting for the buffer to drain below its bound. */
  private waiters: (() => void)[] = [];
  /** `onOverflow` was called and the buffer has not drained below its bound since. */
  private overflowed = false;

  constructor(
    private readonly clock: SchedulingClock,
    private readonly blockInterval: Duration,
    private readonly limiter: RateLimiter | undefined,
    private readonly onBlock: (records: unknown[]) => void,
    private readonly onOverflow: (buffered: number, bound: number) => void = () => undefined,
  ) {}

  /** Records stored and not yet cut into a block. */
  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * The most records the buffer holds before `room()` waits: one second's worth at the limiter's
   * rate; unbounded without a limiter or while its rate is (backpressure before its first estimate).
   */
  get bound(): number {
    const rate = this.limiter?.rate;
    return rate === undefined || !Number.isFinite(rate) ? Infinity : Math.max(1, Math.ceil(rate));
  }

  /** Buffers `item`; resolves when the buffer has room for more (see the class comment). */
  add(item: unknown): Promise<void> {
    this.buffer.push(item);
    // Spark's blocks queue holds 10 blocks: this far past the bound a caller is not waiting.
    const bound = this.bound;
    if (!this.overflowed && this.buffer.length > OVERFLOW_FACTOR * bound) {
      this.overflowed = true;
      this.onOverflow(this.buffer.length, bound);
    }
    return this.room();
  }

  /** Resolves once the buffer holds fewer records than its bound (at once when it does). */
  room(): Promise<void> {
    if (this.buffer.length < this.bound) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Lets every waiting caller go (the receiver is stopping: what it still stores is taken). */
  releaseAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.arm();
  }

  /** Stops the timer. The buffer stays: `cut()` can still flush it. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Cuts the buffer into a block now (within the rate limit); `all` ignores the limit (graceful stop). */
  cut(all = false): void {
    if (this.buffer.length > 0) {
      const n = all || this.limiter === undefined ? this.buffer.length : this.limiter.takeAvailable(this.buffer.length);
      if (n > 0) {
        const block = n === this.buffer.length ? this.buffer : this.buffer.slice(0, n);
        this.buffer = n === this.buffer.length ? [] : this.buffer.slice(n);
        this.onBlock(block);
      }
    }
    // Also after a cut that took nothing: the rate (so the bound) may have risen.
    if (this.buffer.length < this.bound) {
      this.overflowed = false;
      this.releaseAll();
    }
  }

  private arm(): void {
    const now = this.clock.now();
    const at = (Math.floor(now / this.blockInterval) + 1) * this.blockInterval;
    this.timer = this.clock.schedule(at, BLOCK_CUT_PRIORITY, () => {
      this.cut();
      if (this.timer !== undefined) this.arm();
    });
  }
}
