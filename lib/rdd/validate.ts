/**
 * Argument checks shared by the RDD operations. Wrong arguments are programmer mistakes, so they
 * are `TypeError`/`RangeError` whose message names the argument, what was expected and what was
 * given.
 */

/** Describes a given value for an error message: its type, and the value itself when short. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case "string":
      return value.length > 40 ? `a string of length ${value.length}` : `the string ${JSON.stringify(value)}`;
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    default:
      return `a value of type ${typeof value}`;
  }
}

/** Throws a `TypeError` unless `fn` is a function; `what` names it, e.g. `"map(f)"`. */
export function requireFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${what} expects a function; got ${describe(fn)}`);
  }
}

/** Throws a `TypeError` unless `n` is a number, a `RangeError` unless it is a whole number ≥ 1. */
export function requireNumPartitions(n: unknown, what: string): number {
  if (typeof n !== "number") throw new TypeError(`${what} expects numPartitions to be a number; got ${describe(n)}`);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`${what} expects numPartitions to be a whole number ≥ 1; got ${describe(n)}`);
  }
  return n;
}

/** `n` checked as with {@link requireNumPartitions}, or `fallback` (at least 1) when `n` is undefined. */
export function numPartitionsOr(n: unknown, fallback: number, what: string): number {
  return n === undefined ? Math.max(1, fallback) : requireNumPartitions(n, what);
}

/** Throws a `TypeError` unless `n` is a number, a `RangeError` unless it is a whole number ≥ 0. */
export function requireCount(n: unknown, what: string): number {
  if (typeof n !== "number") throw new TypeError(`${what} expects a number; got ${describe(n)}`);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`${what} expects a whole number ≥ 0; got ${describe(n)}`);
  }
  return n;
}
