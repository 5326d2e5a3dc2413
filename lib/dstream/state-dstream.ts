import { KeyMap } from "../rdd/key-map.js";
import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, KeyedState, initialEntries, type KeyedDelta, type StateOperator } from "./internal.js";
import { checkStateValue } from "./plain-state.js";

/** The update function of updateStateByKey; undefined removes the key. */
export type UpdateFunction<K, V, S> = (values: V[], state: S | undefined, key: K, time: Time) => S | undefined;

/**
 * `updateStateByKey`: every batch the function runs for every key that has state (with no values
 * when the batch has none for it) and for every new key; the output is the whole state.
 * Keys with state come first, in state order, then new keys in order of arrival.
 */
export class StateDStream<K, V, S> extends DStream<[K, S]> implements StateOperator {
  private committedThrough: Time | undefined;
  private readonly state = new KeyedState<K, S>();
  private pendingInitial: [K, S][] | undefined;

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly update: UpdateFunction<K, V, S>,
    initial: [K, S][] | undefined,
  ) {
    super(parent.ssc);
    this.pendingInitial = initial;
    parent.ssc.graph.addStateOperator(this);
  }

  static create<K, V, S>(parent: DStream<[K, V]>, update: UpdateFunction<K, V, S>, initial?: Iterable<[K, S]> | RDD<[K, S]>): StateDStream<K, V, S> {
    return new StateDStream(parent, update, initialEntries(initial));
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get size(): number {
    return this.state.size;
  }

  compute(time: Time): RDD<[K, S]> | undefined {
    // State already holds this batch: computing it again would apply it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    this.applyInitial();
    const grouped = new KeyMap<K, V[]>();
    const rdd = this.parent.getOrCompute(time);
    rdd?.forEachRecord(([k, v]) => {
      const values = grouped.get(k);
      if (values === undefined) grouped.set(k, [v]);
      else values.push(v);
    });
    // Keys new to the state are found before any update runs: a key removed by its update this
    // batch is not new. Updating or deleting entries while iterating a Map is safe in JS.
    const state = this.state;
    const fresh: [K, V[]][] = [];
    for (const entry of grouped.entries()) if (!state.has(entry[0])) fresh.push(entry);
    // forEach, not entries(): no [k, v] array per key, and at 1M keys every per-key cost counts.
    // A key left at the same primitive value is not touched (no lookup, not in the delta).
    const update = this.update;
    const none = grouped.size === 0;
    state.forEach((s, k) => {
      const next = update(none ? [] : (grouped.get(k) ?? []), s, k, time);
      if (next === undefined) state.delete(k);
      else if (next !== s || (typeof next === "object" && next !== null) || typeof next === "function") {
        checkStateValue(next, k, "updateStateByKey");
        state.set(k, next);
      }
    });
    for (const [k, values] of fresh) this.apply(k, values, undefined, time);
    return RDD.fromPartitions([state.snapshot()]);
  }

  private apply(k: K, values: V[], s: S | undefined, time: Time): void {
    const next = this.update(values, s, k, time);
    if (next === undefined) this.state.delete(k);
    else {
      checkStateValue(next, k, "updateStateByKey");
      this.state.set(k, next);
    }
  }

  private applyInitial(): void {
    if (this.pendingInitial === undefined) return;
    for (const [k, s] of this.pendingInitial) {
      checkStateValue(s, k, "updateStateByKey initial state");
      this.state.set(k, s);
    }
    this.pendingInitial = undefined;
  }

  takeDelta(): KeyedDelta<K, S> | undefined {
    return this.state.takeDelta();
  }

  snapshot(): [K, S][] {
    return this.state.snapshot();
  }

  restore(snapshot: unknown, deltas: readonly unknown[], committedThrough: Time): void {
    this.committedThrough = committedThrough;
    this.pendingInitial = undefined;
    this.state.restore(snapshot as [K, S][] | undefined, deltas as KeyedDelta<K, S>[]);
  }
}
