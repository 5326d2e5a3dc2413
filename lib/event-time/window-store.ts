import type { EventWindow } from "./window-spec.js";

/** One result of an event-time window: key, reduced value, window. */
export type WindowRow<K, V> = [K, V, EventWindow];

/**
 * The state of an event-time window operator: the open windows (or sessions) of every key, each
 * with its reduced value. Changes are recorded as a changelog for the batch's commit, as every
 * keyed state is (see KeyedState).
 */
export interface WindowStore<K, V> {
  /** Windows (or sessions) held: Spark's `numRowsTotal`. */
  readonly size: number;
  /**
   * Adds `value` for `key` at event time `t` to its windows that are still open at `watermark`.
   * Returns the number of its windows it was dropped from as late (0: none).
   */
  add(key: K, value: V, t: number, watermark: number): number;
  /** The windows changed since the last call, by window start (update mode). */
  takeUpdated(): WindowRow<K, V>[];
  /** Removes every window that ends at or before `watermark` and returns them, by window start. */
  evict(watermark: number): WindowRow<K, V>[];
  /** The changes since the last call, as one plain value for the commit; undefined when none. */
  takeDelta(): unknown;
  /** The whole state as one plain value. */
  snapshot(): unknown;
  /** Replaces the state with `snapshot` plus `deltas` applied in order. */
  restore(snapshot: unknown, deltas: readonly unknown[]): void;
}

/** Sorts rows by window start; stable, so rows of one window keep their key order. */
export function byWindowStart<K, V>(rows: WindowRow<K, V>[]): WindowRow<K, V>[] {
  return rows.sort((a, b) => a[2].start - b[2].start);
}
