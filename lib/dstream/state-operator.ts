import { KeyMap } from "../rdd/key-map.js";
import type { BatchInfo } from "../listener.js";
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
  /**
   * Optional: a decision for batch `time` to record in its plan before it runs (e.g. an event-time
   * watermark), so that a re-run of the batch after a crash decides the same. Undefined: nothing.
   */
  planBatch?(time: Time): unknown;
  /** Optional: batch `time` is about to run with what its plan recorded for this operator. */
  beginBatch?(time: Time, planned: unknown): void;
  /** Optional: adds this operator's figures for batch `time` to the batch's listener events. */
  reportBatch?(time: Time, info: BatchInfo): void;
}

/** Marks a stream class as stateful; the graph collects these. */
export function isStateOperator(x: unknown): x is StateOperator {
  return typeof x === "object" && x !== null && typeof (x as StateOperator).takeDelta === "function" && typeof (x as StateOperator).restore === "function";
}

/**
 * The delta of a keyed state: keys removed, and keys set (with their new value). Replay applies
 * `del` first, then `set` in order: a key removed and set again in one batch is in both, so it
 * moves to the end of the map as it did in the run that wrote the delta (state order decides the
 * order of outputs, e.g. of mapWithState's timeouts).
 */
export interface KeyedDelta<K, V> {
  set: [K, V][];
  del: K[];
}

/** Marks a key removed in the dirty map (a value no user state can be). */
const REMOVED: unique symbol = Symbol("removed");

/**
 * A keyed state that remembers which keys changed since the last `takeDelta`, so a commit writes
 * only those (a changelog) and not the whole map.
 *
 * The dirty map holds each changed key's new value (or REMOVED), so taking a delta reads only the
 * small dirty map and never probes the big one (at 1M keys those probes were most of the cost).
 * Setting a key to the primitive value it already has is not a change: updateStateByKey sets every
 * key every batch, and only the keys whose value moved belong in the delta. Objects always count
 * as changed, since the caller may have mutated one in place.
 */
export class KeyedState<K, V> {
  private readonly map = new KeyMap<K, V>();
  private dirty = new KeyMap<K, V | typeof REMOVED>();
  /** Keys removed and then set again since the last delta. */
  private readded = new KeyMap<K, true>();

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
    if ((typeof value !== "object" || value === null) && typeof value !== "function") {
      const old = this.map.get(key);
      if (old === value && (value !== undefined || this.map.has(key))) return;
    }
    this.map.set(key, value);
    if (this.dirty.get(key) === REMOVED) {
      // Back after a removal: it now sits at the end of the map; so must its place in the delta.
      this.dirty.delete(key);
      this.readded.set(key, true);
    }
    this.dirty.set(key, value);
  }

  delete(key: K): void {
    if (this.map.delete(key)) this.dirty.set(key, REMOVED);
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  /** Calls `fn` for each entry in insertion order (faster than iterating `entries()`). */
  forEach(fn: (value: V, key: K) => void): void {
    this.map.forEach(fn);
  }

  /** The keys changed since the last call, and forgets them. */
  takeDelta(): KeyedDelta<K, V> | undefined {
    if (this.dirty.size === 0) return undefined;
    const set: [K, V][] = [];
    const del: K[] = [];
    this.dirty.forEach((v, key) => {
      if (v === REMOVED) del.push(key);
      else set.push([key, v]);
    });
    this.readded.forEach((_v, key) => void del.push(key));
    this.dirty = new KeyMap<K, V | typeof REMOVED>();
    this.readded = new KeyMap<K, true>();
    return { set, del };
  }

  /** Every entry, for a snapshot. */
  snapshot(): [K, V][] {
    const out = new Array<[K, V]>(this.map.size);
    let i = 0;
    this.map.forEach((v, k) => void (out[i++] = [k, v]));
    return out;
  }

  /** Replaces the content with a snapshot plus deltas; nothing is dirty afterwards. */
  restore(snapshot: readonly [K, V][] | undefined, deltas: readonly (KeyedDelta<K, V> | undefined)[]): void {
    const map = this.map;
    map.clear();
    if (snapshot !== undefined) for (let i = 0; i < snapshot.length; i++) map.set((snapshot[i] as [K, V])[0], (snapshot[i] as [K, V])[1]);
    for (const d of deltas) {
      if (d === undefined) continue;
      for (const k of d.del) map.delete(k);
      for (const [k, v] of d.set) map.set(k, v);
    }
    this.dirty = new KeyMap<K, V | typeof REMOVED>();
    this.readded = new KeyMap<K, true>();
  }
}

/**
 * A stateful operator in a group (DESIGN.md §10): it holds one keyed state per group partition
 * the member holds, advances only the partitions of the running batch, and commits, snapshots and
 * restores each partition on its own (a partition moves between members with its state).
 */
export interface PartitionedStateOperator extends StateOperator {
  /** Partition p's changes since its last delta; undefined when none. */
  takePartitionDelta(p: number): unknown;
  /** Partition p's whole state as one plain value. */
  partitionSnapshot(p: number): unknown;
  /**
   * Replaces partition p's state with `snapshot` plus `deltas` in order. `fresh`: the partition has
   * never committed a batch, so the operator's initial state (its keys of partition p) goes in.
   */
  restorePartition(p: number, snapshot: unknown, deltas: readonly unknown[], fresh: boolean): void;
  /** Forgets partition p (another member holds it now). */
  dropPartition(p: number): void;
}

export function isPartitionedStateOperator(x: unknown): x is PartitionedStateOperator {
  return isStateOperator(x) && typeof (x as PartitionedStateOperator).restorePartition === "function";
}

/** One KeyedState per group partition, for a PartitionedStateOperator. */
export class PartitionedKeyedStates<K, V> {
  private readonly parts = new Map<number, KeyedState<K, V>>();

  /** Keys held over every partition. */
  get size(): number {
    let n = 0;
    for (const s of this.parts.values()) n += s.size;
    return n;
  }

  /** Partition p's state (empty when new). */
  of(p: number): KeyedState<K, V> {
    let s = this.parts.get(p);
    if (s === undefined) this.parts.set(p, (s = new KeyedState<K, V>()));
    return s;
  }

  takeDelta(p: number): KeyedDelta<K, V> | undefined {
    return this.parts.get(p)?.takeDelta();
  }

  snapshot(p: number): [K, V][] {
    return this.parts.get(p)?.snapshot() ?? [];
  }

  restore(p: number, snapshot: unknown, deltas: readonly unknown[]): KeyedState<K, V> {
    const s = new KeyedState<K, V>();
    s.restore(snapshot as [K, V][] | undefined, deltas as KeyedDelta<K, V>[]);
    this.parts.set(p, s);
    return s;
  }

  drop(p: number): void {
    this.parts.delete(p);
  }
}
