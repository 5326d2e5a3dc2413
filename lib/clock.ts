import type { Duration } from "./time.js";

/** Where dstream reads the time. Injected: `SystemClock` in production, `ManualClock` in tests. */
export interface Clock {
  now(): number;
}

/** A cancellable timer registration. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * A clock that can also run callbacks at given times. Both built-in clocks implement it; a user
 * clock with only `now()` is wrapped by {@link schedulingClock}. Callbacks due at the same time run
 * in ascending `priority` (block cuts before batch generation).
 */
export interface SchedulingClock extends Clock {
  schedule(at: number, priority: number, fn: () => void | Promise<void>): TimerHandle;
}

/** The wall clock. */
export class SystemClock implements SchedulingClock {
  now(): number {
    return Date.now();
  }

  schedule(at: number, _priority: number, fn: () => void | Promise<void>): TimerHandle {
    const timer = setTimeout(() => void fn(), Math.max(0, at - Date.now()));
    return { cancel: () => clearTimeout(timer) };
  }
}

interface Scheduled {
  at: number;
  priority: number;
  seq: number;
  fn: () => void | Promise<void>;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. `advance(ms)` runs every timer that falls due, in time
 * order, awaiting each (so each batch that falls due is committed before the next starts), and
 * rejects with the first error a timer raised (e.g. the JobError of a failed batch).
 */
export class ManualClock implements SchedulingClock {
  /** Protected: a test clock may let simulated work take time (lib/test-support/work-clock.ts). */
  protected time: number;
  private seq = 0;
  private queue: Scheduled[] = [];
  private advancing: Promise<void> = Promise.resolve();

  constructor(startTime = 0) {
    if (typeof startTime !== "number") throw new TypeError(`ManualClock(startTime) expects a number of ms; got ${typeof startTime}`);
    if (!Number.isFinite(startTime)) throw new RangeError(`ManualClock(startTime) expects a finite number; got ${startTime}`);
    this.time = startTime;
  }

  now(): number {
    return this.time;
  }

  /** Moves the time forward by `ms`, running every timer due on the way. */
  advance(ms: Duration): Promise<void> {
    if (typeof ms !== "number") throw new TypeError(`ManualClock.advance(ms) expects a number of ms; got ${typeof ms}`);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance(ms) expects a non-negative number; got ${ms}`);
    // Calls made without awaiting the previous one still run one after the other.
    const run = this.advancing.then(() => this.runUntil(this.time + ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /** Sets the time to `time` (not backwards), running every timer due on the way. */
  setTime(time: number): Promise<void> {
    return this.advance(Math.max(0, time - this.time));
  }

  schedule(at: number, priority: number, fn: () => void | Promise<void>): TimerHandle {
    const entry: Scheduled = { at, priority, seq: this.seq++, fn, cancelled: false };
    this.queue.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  private async runUntil(target: number): Promise<void> {
    for (;;) {
      const next = this.takeNext(target);
      if (next === undefined) break;
      this.time = Math.max(this.time, next.at);
      await next.fn();
    }
    this.time = Math.max(this.time, target);
  }

  private takeNext(target: number): Scheduled | undefined {
    this.queue = this.queue.filter((e) => !e.cancelled);
    let best: Scheduled | undefined;
    for (const e of this.queue) {
      if (e.at > target) continue;
      if (best === undefined || e.at < best.at || (e.at === best.at && (e.priority < best.priority || (e.priority === best.priority && e.seq < best.seq)))) {
        best = e;
      }
    }
    if (best !== undefined) this.queue.splice(this.queue.indexOf(best), 1);
    return best;
  }
}

/** Wraps any clock so timers can be set on it: a user clock with only `now()` polls with setTimeout. */
export function schedulingClock(clock: Clock): SchedulingClock {
  if (typeof (clock as Partial<SchedulingClock>).schedule === "function") return clock as SchedulingClock;
  return {
    now: () => clock.now(),
    schedule(at, _priority, fn) {
      let timer: NodeJS.Timeout | undefined;
      const poll = (): void => {
        const wait = at - clock.now();
        if (wait <= 0) void fn();
        else timer = setTimeout(poll, Math.min(wait, 50));
      };
      poll();
      return { cancel: () => clearTimeout(timer) };
    },
  };
}
