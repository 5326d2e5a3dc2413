import { KeyMap } from "../rdd/key-map.js";
import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, KeyedState, checkFunction, checkWindow, type KeyedDelta, type StateOperator } from "./internal.js";
import { checkStateValue } from "./plain-state.js";

interface ReducedWindowDelta<K, V> {
  window: KeyedDelta<K, V> | undefined;
  addSlices: [Time, [K, V][]][];
  dropSlices: Time[];
}

interface ReducedWindowSnapshot<K, V> {
  window: [K, V][];
  slices: [Time, [K, V][]][];
}

/**
 * reduceByKeyAndWindow with an inverse function (Spark's ReducedWindowedDStream): the window at t is
 * the previous window, minus (invF) the batches that left it, plus (f) the batches that entered it.
 * Keys stay, at their zero value, unless `filterFunc` drops them.
 *
 * Its state is the previous window and each parent batch's per-key reduction still inside the
 * window ("slices"), both committed every batch: a window that straddles a restart sees exactly the
 * batches it would have seen, whatever the parent is.
 */
export class ReducedWindowedDStream<K, V> extends DStream<[K, V]> implements StateOperator {
  private committedThrough: Time | undefined;
  private readonly windowState = new KeyedState<K, V>();
  private readonly slices = new Map<Time, [K, V][]>();
  private added: [Time, [K, V][]][] = [];
  private dropped: Time[] = [];

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly reduceFunc: (a: V, b: V) => V,
    private readonly invReduceFunc: (a: V, b: V) => V,
    readonly windowDuration: Duration,
    private readonly slide: Duration,
    private readonly filterFunc: ((kv: [K, V]) => boolean) | undefined,
  ) {
    checkFunction(reduceFunc, "reduceByKeyAndWindow(f, …)");
    checkFunction(invReduceFunc, "reduceByKeyAndWindow(f, invF, …)");
    if (filterFunc !== undefined) checkFunction(filterFunc, "reduceByKeyAndWindow filterFunc");
    checkWindow(parent, windowDuration, slide);
    super(parent.ssc);
    parent.ssc.graph.addStateOperator(this);
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  protected override get parentRememberDuration(): Duration | undefined {
    const own = this.rememberDuration;
    return own === undefined ? undefined : own + this.windowDuration;
  }

  get size(): number {
    return this.windowState.size;
  }

  /** Records the parent batch of `time` as a slice; runs every batch, so no slice is missed. */
  onBatch(time: Time): void {
    if (this.slices.has(time) || !this.parent.isTimeValid(time)) return;
    const rdd = this.parent.getOrCompute(time);
    if (rdd === undefined) return;
    const reduced = new KeyMap<K, V>();
    const f = this.reduceFunc;
    // One lookup per record; the arg-passing form needs no closure per record.
    rdd.forEachRecord(([k, v]) => void reduced.upsert(k, v, first, f));
    const entries = Array.from(reduced.entries());
    for (const [k, v] of entries) checkStateValue(v, k, "reduceByKeyAndWindow (a batch's reduced value)");
    this.slices.set(time, entries);
    this.added.push([time, entries]);
  }

  compute(time: Time): RDD<[K, V]> | undefined {
    // State already holds this batch: computing it again would apply it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    const ps = this.parent.slideDuration;
    const begin = time - this.windowDuration + ps;
    for (let t = time - this.slide + ps; t <= time; t += ps) this.onBatch(t);
    const oldVals = new KeyMap<K, V>();
    const newVals = new KeyMap<K, V>();
    const prevEnd = time - this.slide;
    for (const [t, entries] of this.slices) {
      const inPrevious = t <= prevEnd && t > prevEnd - this.windowDuration;
      const inCurrent = t >= begin;
      if (!inCurrent) {
        // Left the window (or, with a slide longer than the window, was never in one).
        if (inPrevious) this.merge(oldVals, entries);
        this.slices.delete(t);
        this.dropped.push(t);
      } else if (!inPrevious) {
        this.merge(newVals, entries);
      }
    }
    for (const [k, old] of oldVals.entries()) this.update(k, old, newVals.has(k), newVals.get(k));
    for (const [k, v] of newVals.entries()) if (!oldVals.has(k)) this.update(k, undefined, true, v);
    return RDD.fromPartitions([this.windowState.snapshot()]);
  }

  private update(k: K, old: V | undefined, hasNew: boolean, added: V | undefined): void {
    const prev = this.windowState.get(k);
    let v: V;
    if (prev === undefined && !this.windowState.has(k)) {
      // Spark fails here ("neither previous window has value for key, nor new values"); that can
      // only follow a filterFunc dropping a key still in the window, so the key just stays out.
      if (!hasNew) return;
      v = added as V;
    } else {
      v = prev as V;
      if (old !== undefined) v = this.invReduceFunc(v, old);
      if (hasNew) v = this.reduceFunc(v, added as V);
    }
    if (this.filterFunc !== undefined && !this.filterFunc([k, v])) this.windowState.delete(k);
    else {
      checkStateValue(v, k, "reduceByKeyAndWindow");
      this.windowState.set(k, v);
    }
  }

  private merge(into: KeyMap<K, V>, entries: [K, V][]): void {
    for (const [k, v] of entries) into.set(k, into.has(k) ? this.reduceFunc(into.get(k) as V, v) : v);
  }

  takeDelta(): ReducedWindowDelta<K, V> | undefined {
    const window = this.windowState.takeDelta();
    if (window === undefined && this.added.length === 0 && this.dropped.length === 0) return undefined;
    const delta = { window, addSlices: this.added, dropSlices: this.dropped };
    this.added = [];
    this.dropped = [];
    return delta;
  }

  snapshot(): ReducedWindowSnapshot<K, V> {
    return { window: this.windowState.snapshot(), slices: Array.from(this.slices) };
  }

  restore(snapshot: unknown, deltas: readonly unknown[], committedThrough: Time): void {
    this.committedThrough = committedThrough;
    const snap = snapshot as ReducedWindowSnapshot<K, V> | undefined;
    const ds = deltas as ReducedWindowDelta<K, V>[];
    this.windowState.restore(snap?.window, ds.map((d) => d.window));
    this.slices.clear();
    for (const [t, entries] of snap?.slices ?? []) this.slices.set(t, entries);
    for (const d of ds) {
      for (const [t, entries] of d.addSlices) this.slices.set(t, entries);
      for (const t of d.dropSlices) this.slices.delete(t);
    }
    this.added = [];
    this.dropped = [];
  }
}

function first<V>(v: V): V {
  return v;
}
