import { KeyMap } from "../rdd/key-map.js";
import type { Duration } from "../time.js";
import { KeyedState, type KeyedDelta } from "../dstream/internal.js";
import { byWindowStart, type WindowRow, type WindowStore } from "./window-store.js";

/** The changes of one batch: per open window (by start) its keyed delta, and the windows closed. */
interface FixedWindowsDelta<K, V> {
  windows: [number, KeyedDelta<K, V>][];
  closed: number[];
}

/** Every open window (by start) with its keys and values. */
type FixedWindowsSnapshot<K, V> = [number, [K, V][]][];

/**
 * Tumbling and sliding windows aligned to the epoch (Spark's `window()`): a record at event time t
 * belongs to every window `[s, s + size)` with s a multiple of `slide` and s ≤ t < s + size.
 *
 * One KeyedState per open window, so a window that closes leaves the state in one step and its
 * commit records only its start, not a removal per key.
 */
export class FixedWindowStore<K, V> implements WindowStore<K, V> {
  private readonly windows = new Map<number, KeyedState<K, V>>();
  private closed: number[] = [];
  /** Per window start, the keys changed since the last takeUpdated (update mode only). */
  private readonly updated = new Map<number, KeyMap<K, true>>();
  private rows = 0;

  constructor(
    private readonly size_: Duration,
    private readonly slide: Duration,
    private readonly reduce: (a: V, b: V) => V,
    private readonly trackUpdates: boolean,
  ) {}

  get size(): number {
    return this.rows;
  }

  add(key: K, value: V, t: number, watermark: number): number {
    let dropped = 0;
    const size = this.size_;
    // The windows holding t, latest first (see windowStarts), without an array per record.
    for (let start = t - (((t % this.slide) + this.slide) % this.slide); start > t - size; start -= this.slide) {
      // A window is final once the watermark reaches its end: its result may have been emitted.
      if (start + size <= watermark) {
        dropped++;
        continue;
      }
      let window = this.windows.get(start);
      if (window === undefined) this.windows.set(start, (window = new KeyedState<K, V>()));
      const old = window.get(key);
      if (old !== undefined || window.has(key)) {
        window.set(key, this.reduce(old as V, value));
      } else {
        window.set(key, value);
        this.rows++;
      }
      if (this.trackUpdates) {
        let keys = this.updated.get(start);
        if (keys === undefined) this.updated.set(start, (keys = new KeyMap<K, true>()));
        keys.set(key, true);
      }
    }
    return dropped;
  }

  takeUpdated(): WindowRow<K, V>[] {
    const out: WindowRow<K, V>[] = [];
    for (const start of [...this.updated.keys()].sort((a, b) => a - b)) {
      const window = this.windows.get(start) as KeyedState<K, V>;
      const w = { start, end: start + this.size_ };
      for (const key of (this.updated.get(start) as KeyMap<K, true>).keys()) out.push([key, window.get(key) as V, w]);
    }
    this.updated.clear();
    return out;
  }

  evict(watermark: number): WindowRow<K, V>[] {
    const out: WindowRow<K, V>[] = [];
    for (const [start, window] of this.windows) {
      if (start + this.size_ > watermark) continue;
      const w = { start, end: start + this.size_ };
      window.forEach((v, k) => void out.push([k, v, w]));
      this.rows -= window.size;
      this.windows.delete(start);
      this.closed.push(start);
    }
    return byWindowStart(out);
  }

  takeDelta(): FixedWindowsDelta<K, V> | undefined {
    const windows: [number, KeyedDelta<K, V>][] = [];
    for (const [start, window] of this.windows) {
      const d = window.takeDelta();
      if (d !== undefined) windows.push([start, d]);
    }
    if (windows.length === 0 && this.closed.length === 0) return undefined;
    const delta = { windows, closed: this.closed };
    this.closed = [];
    return delta;
  }

  snapshot(): FixedWindowsSnapshot<K, V> {
    return Array.from(this.windows, ([start, window]): [number, [K, V][]] => [start, window.snapshot()]);
  }

  restore(snapshot: unknown, deltas: readonly unknown[]): void {
    // Gather each window's snapshot and deltas, then rebuild it once. A closed window never opens
    // again (the watermark does not move back), so a close drops everything gathered for it.
    const parts = new Map<number, { snap: [K, V][] | undefined; deltas: KeyedDelta<K, V>[] }>();
    for (const [start, entries] of (snapshot as FixedWindowsSnapshot<K, V> | undefined) ?? []) parts.set(start, { snap: entries, deltas: [] });
    for (const d of deltas as (FixedWindowsDelta<K, V> | undefined)[]) {
      if (d === undefined) continue;
      for (const [start, kd] of d.windows) {
        let p = parts.get(start);
        if (p === undefined) parts.set(start, (p = { snap: undefined, deltas: [] }));
        p.deltas.push(kd);
      }
      for (const start of d.closed) parts.delete(start);
    }
    this.windows.clear();
    this.updated.clear();
    this.closed = [];
    this.rows = 0;
    for (const [start, p] of parts) {
      const window = new KeyedState<K, V>();
      window.restore(p.snap, p.deltas);
      if (window.size === 0) continue;
      this.windows.set(start, window);
      this.rows += window.size;
    }
  }
}
