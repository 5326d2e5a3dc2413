import { describe } from "./rdd/validate.js";

/** Durations and batch times are integer milliseconds. */
export type Duration = number;
/** A batch time: `zeroTime + k * batchDuration`, in ms. */
export type Time = number;

/** `n` milliseconds. */
export function Milliseconds(n: number): Duration {
  return checkDuration(n, 1, "Milliseconds(n)", "milliseconds");
}

/** `n` seconds in milliseconds. */
export function Seconds(n: number): Duration {
  return checkDuration(n, 1000, "Seconds(n)", "seconds");
}

/** `n` minutes in milliseconds. */
export function Minutes(n: number): Duration {
  return checkDuration(n, 60_000, "Minutes(n)", "minutes");
}

function checkDuration(n: unknown, unit: number, what: string, unitName: string): Duration {
  // "2" * 1000 is 2000: without this check a string from a config file would pass as a number.
  if (typeof n !== "number") throw new TypeError(`${what} expects a number of ${unitName}; got ${describe(n)}. Convert it first, e.g. ${what.replace("(n)", "(Number(value))")}`);
  const ms = n * unit;
  if (!Number.isFinite(ms) || !Number.isInteger(ms) || ms < 0) {
    const inMs = unit === 1 ? "" : ` (${ms} ms)`;
    throw new RangeError(`${what} expects a non-negative number of ${unitName} that is a whole number of milliseconds; got ${n}${inMs}`);
  }
  return ms;
}

/**
 * Checks a duration argument: a positive integer number of ms (TypeError for a value that is not a
 * number, RangeError for a number out of range). `what` names the argument, e.g. "windowDuration".
 */
export function requirePositiveDuration(value: unknown, what: string): Duration {
  if (typeof value !== "number") throw new TypeError(`${what} must be a number of milliseconds (use Seconds(n) or Milliseconds(n)); got ${describe(value)}`);
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive whole number of milliseconds (use Seconds(n)); got ${String(value)}`);
  }
  return value;
}

/** True when `d` is a whole multiple of `unit`. */
export function isMultipleOf(d: Duration, unit: Duration): boolean {
  return d % unit === 0;
}
