import { KeyMap } from "../rdd/key-map.js";
import type { Time } from "../time.js";

/**
 * A stream that keeps state between batches. The scheduler takes each operator's delta when it
 * commits a batch (all in one atomic write) and recovery hands the state back through `restore`.
 * The state in memory always equals the last committed state plus the running batch's changes.
 */
export interface StateOperator {
  /** The stable operator id the state is stored under. */
  readonly operatorId: string;
  readonly kind: string;
  /** The changes batch `time` made, as one plain value for the commit; undefined when none. */
  takeDelta(time: Time): unknown;
  /** The whole state as one plain value, for a snapshot. */
  snapshot(): unknown;
  /**
   * Replaces the state with `snapshot` (undefined: empty) plus `deltas` applied in order: the state
   * committed by batch `committedThrough`. The operator computes no batch at or before that time
   * again (a window reaching back over the restart finds no RDD there rather than state applied twice).
   */
  restore(snapshot: unknown, deltas: readonly unknown[], committedThrough: Time): void;
  /** Number of keys held, for status and benchmarks. */
  readonly size: number;
}

/** Marks a stream class as stateful; the graph collects these. */
export function isStateOperator(x: unknown): x is StateOperator {
  return typeof x === "object" && x !== null && typeof (x as StateOperator).takeDelta === "function" && typeof (x as StateOperator).restore === "function";
}

/** The delta of a keyed state: keys set (with their new value) and keys removed. */
export interface KeyedDelta<K, V> {
  set: [K, V][];
  del: K[];
}

/**
 * A keyed state that remembers which keys changed since the last `takeDelta`, so a commit writes
 * only those (a changelog) and not the whole map.
 */
export class KeyedState<K, V> {
  private readonly map = new KeyMap<K, V>();
  private dirty = new KeyMap<K, true>();

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    this.dirty.set(key, true);
  }

  delete(key: K): void {
    if (this.map.delete(key)) this.dirty.set(key, true);
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  /** The keys changed since the last call, and forgets them. */
  takeDelta(): KeyedDelta<K, V> | undefined {
    if (this.dirty.size === 0) return undefined;
    const delta: KeyedDelta<K, V> = { set: [], del: [] };
    for (const [key] of this.dirty.entries()) {
      if (this.map.has(key)) delta.set.push([key, this.map.get(key) as V]);
      else delta.del.push(key);
    }
    this.dirty = new KeyMap<K, true>();
    return delta;
  }

  /** Every entry, for a snapshot. */
  snapshot(): [K, V][] {
    return Array.from(this.map.entries());
  }

  /** Replaces the content with a snapshot plus deltas; nothing is dirty afterwards. */
  restore(snapshot: readonly [K, V][] | undefined, deltas: readonly (KeyedDelta<K, V> | undefined)[]): void {
    this.map.clear();
    for (const [k, v] of snapshot ?? []) this.map.set(k, v);
    for (const d of deltas) {
      if (d === undefined) continue;
      for (const [k, v] of d.set) this.map.set(k, v);
      for (const k of d.del) this.map.delete(k);
    }
    this.dirty = new KeyMap<K, true>();
  }
}
