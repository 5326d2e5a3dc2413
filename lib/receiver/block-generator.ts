import type { SchedulingClock, TimerHandle } from "../clock.js";
import type { Duration } from "../time.js";
import type { RateLimiter } from "./rate-limiter.js";

/** Block cuts run before batch generation due at the same instant (the scheduler uses 10). */
export const BLOCK_CUT_PRIORITY = 0;

/**
 * Buffers what `Receiver.store` is given and cuts it into a block every `blockInterval` on the
 * context's clock, on the grid of multiples of the interval (Spark's BlockGenerator). With a rate
 * limiter, a cut takes only the records the bucket allows; the rest wait for later cuts.
 */
export class BlockGenerator {
  private buffer: unknown[] = [];
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: SchedulingClock,
    private readonly blockInterval: Duration,
    private readonly limiter: RateLimiter | undefined,
    private readonly onBlock: (records: unknown[]) => void,
  ) {}

  /** Records stored and not yet cut into a block. */
  get buffered(): number {
    return this.buffer.length;
  }

  add(item: unknown): void {
    this.buffer.push(item);
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
    if (this.buffer.length === 0) return;
    const n = all || this.limiter === undefined ? this.buffer.length : this.limiter.takeAvailable(this.buffer.length);
    if (n === 0) return;
    const block = n === this.buffer.length ? this.buffer : this.buffer.slice(0, n);
    this.buffer = n === this.buffer.length ? [] : this.buffer.slice(n);
    this.onBlock(block);
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
