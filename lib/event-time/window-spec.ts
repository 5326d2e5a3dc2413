import type { Duration } from "../time.js";

/** The event-time interval of a window or session: `[start, end)`, in ms. */
export interface EventWindow {
  start: number;
  end: number;
}

/** The window argument of `windowedReduceByKey`: tumbling/sliding (`size`, `slide`) or session (`gap`). */
export type WindowOption = { size: Duration; slide?: Duration } | { gap: Duration };

/** What a record's window is emitted on: once final ("append") or whenever it changes ("update"). */
export type OutputMode = "append" | "update";

/** Options of `windowedReduceByKey`. */
export interface WindowedReduceOptions {
  /** Default "append". */
  mode?: OutputMode;
}

/** A validated window argument. */
export type WindowSpec = { type: "fixed"; size: Duration; slide: Duration } | { type: "session"; gap: Duration };

/**
 * Checks the window argument: either `{ size, slide? }` (slide defaults to size, must not exceed
 * it, as Spark's `window()`) or `{ gap }`, all positive whole milliseconds.
 */
export function parseWindow(window: unknown): WindowSpec {
  if (window === null || typeof window !== "object") {
    throw new TypeError(`windowedReduceByKey(f, window) expects { size, slide? } or { gap }; got ${String(window)}`);
  }
  const w = window as { size?: unknown; slide?: unknown; gap?: unknown };
  if (w.gap !== undefined) {
    if (w.size !== undefined || w.slide !== undefined) {
      throw new TypeError("windowedReduceByKey(f, window) expects either { size, slide? } (tumbling/sliding) or { gap } (session), not both");
    }
    return { type: "session", gap: positiveMs(w.gap, "window.gap") };
  }
  if (w.size === undefined) throw new TypeError("windowedReduceByKey(f, window) expects { size, slide? } or { gap }; got neither size nor gap");
  const size = positiveMs(w.size, "window.size");
  const slide = w.slide === undefined ? size : positiveMs(w.slide, "window.slide");
  if (slide > size) throw new RangeError(`window.slide (${slide} ms) must not exceed window.size (${size} ms)`);
  return { type: "fixed", size, slide };
}

/** Checks the output mode. */
export function parseMode(options: unknown): OutputMode {
  if (options === undefined) return "append";
  if (options === null || typeof options !== "object") throw new TypeError(`windowedReduceByKey options must be an object like { mode: "append" }; got ${String(options)}`);
  const mode = (options as WindowedReduceOptions).mode ?? "append";
  if (mode !== "append" && mode !== "update") throw new RangeError(`windowedReduceByKey mode must be "append" or "update"; got ${String(mode)}`);
  return mode;
}

/** The operator kind recorded in the graph fingerprint: a changed window or mode is a checkpoint mismatch. */
export function windowKind(spec: WindowSpec, mode: OutputMode): string {
  return spec.type === "fixed" ? `EventTimeWindow(size=${spec.size},slide=${spec.slide},${mode})` : `SessionWindow(gap=${spec.gap},${mode})`;
}

/**
 * The starts of the windows of size `size` every `slide` that hold event time `t`, latest first.
 * Windows are aligned to the epoch, as Spark's `window()`: starts are multiples of `slide`.
 */
export function windowStarts(t: number, size: Duration, slide: Duration): number[] {
  const last = t - (((t % slide) + slide) % slide);
  const out: number[] = [];
  for (let s = last; s > t - size; s -= slide) out.push(s);
  return out;
}

function positiveMs(value: unknown, what: string): Duration {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive whole number of milliseconds (use Seconds(n)); got ${String(value)}`);
  }
  return value;
}
