import { ManualClock } from "../clock.js";
import type { Duration } from "../time.js";

/**
 * A ManualClock on which the job's own work takes time: `work(ms)`, called from inside a batch,
 * moves the clock forward at once, as a slow output operation would on the wall clock. Timers
 * that fell due meanwhile (block cuts, the next batches) run late, after the current one
 * finishes, which is exactly how a slow job builds up scheduling delay.
 */
export class WorkClock extends ManualClock {
  work(ms: Duration): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`WorkClock.work(ms) expects a non-negative number; got ${ms}`);
    this.time += ms;
  }
}
