import type { Duration, Time } from "../time.js";

/**
 * The batch times a restart runs because they passed while the job was down: `fromTime` to
 * `toTime` on the batch grid, `numBatches` of them, run at `restartTime` (the clock at restart).
 * Listeners receive it as `onCatchUpStarted`, and with `durationMs` as `onCatchUpCompleted`.
 */
export interface CatchUpRange {
  fromTime: Time;
  toTime: Time;
  numBatches: number;
  batchDuration: Duration;
  restartTime: number;
}

/** The catch-up of the grid times `from`..`to` (inclusive), seen at `now`. */
export function catchUpRange(from: Time, to: Time, batchDuration: Duration, now: number): CatchUpRange {
  return { fromTime: from, toTime: to, numBatches: Math.floor((to - from) / batchDuration) + 1, batchDuration, restartTime: now };
}

/** The last time on the grid of `zeroTime` + k·`batchDuration` that is at or before `now`. */
export function lastGridTimeAtOrBefore(now: number, zeroTime: Time, batchDuration: Duration): Time {
  return zeroTime + Math.floor((now - zeroTime) / batchDuration) * batchDuration;
}
