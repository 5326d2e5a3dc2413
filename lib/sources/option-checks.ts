import { requireRate } from "../receiver/rate-limiter.js";

/** The options argument of a connector as an object, or a TypeError showing what it takes. */
export function optionsObject<O extends object>(options: O, where: string, shape: string): O {
  if (typeof options !== "object" || options === null) throw new TypeError(`${where} expects ${shape}; got ${String(options)}`);
  return options;
}

/** A URL with one of `protocols` (each with its colon, as URL.protocol has it). */
export function checkUrl(url: unknown, where: string, protocols: readonly string[]): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !protocols.includes(parsed.protocol)) {
    throw new TypeError(`${where}: url must be a ${protocols.map((p) => `${p}//`).join(" or ")} URL; got ${JSON.stringify(url)}`);
  }
  return url as string;
}

/** An optional integer in 1..max. */
export function optionalPositiveInt(value: unknown, where: string, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${where}: ${name} must be an integer in 1..${max}; got ${String(value)}`);
  return value;
}

/** An optional `maxRate`, checked as every receiver's. */
export function optionalRate(value: unknown): number | undefined {
  return requireRate(value);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
