/** Durations and batch times are integer milliseconds. */
export type Duration = number;
/** A batch time: `zeroTime + k * batchDuration`, in ms. */
export type Time = number;

/** `n` milliseconds. */
export function Milliseconds(n: number): Duration {
  return checkDuration(n, "Milliseconds(n)");
}

/** `n` seconds in milliseconds. */
export function Seconds(n: number): Duration {
  return checkDuration(n * 1000, "Seconds(n)");
}

/** `n` minutes in milliseconds. */
export function Minutes(n: number): Duration {
  return checkDuration(n * 60_000, "Minutes(n)");
}

function checkDuration(ms: number, what: string): Duration {
  if (!Number.isFinite(ms) || !Number.isInteger(ms) || ms < 0) {
    throw new RangeError(`${what} expects a whole, non-negative number of milliseconds; got ${ms}`);
  }
  return ms;
}

/**
 * Checks a duration argument: a positive integer number of ms. `what` names the argument in the
 * message, e.g. "windowDuration".
 */
export function requirePositiveDuration(value: unknown, what: string): Duration {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive whole number of milliseconds (use Seconds(n)); got ${String(value)}`);
  }
  return value;
}

/** True when `d` is a whole multiple of `unit`. */
export function isMultipleOf(d: Duration, unit: Duration): boolean {
  return d % unit === 0;
}
