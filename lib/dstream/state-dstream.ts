import { KeyMap } from "../rdd/key-map.js";
import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { hashKey } from "../rdd/partitioner.js";
import { DStream, KeyedState, PartitionedKeyedStates, forEachInGroupPartition, initialEntries, type KeyedDelta, type PartitionedStateOperator } from "./internal.js";
import { checkStateValue } from "./plain-state.js";

/** The update function of updateStateByKey; undefined removes the key. */
export type UpdateFunction<K, V, S> = (values: V[], state: S | undefined, key: K, time: Time) => S | undefined;

/**
 * `updateStateByKey`: every batch the function runs for every key that has state (with no values
 * when the batch has none for it) and for every new key; the output is the whole state.
 * Keys with state come first, in state order, then new keys in order of arrival.
 */
export class StateDStream<K, V, S> extends DStream<[K, S]> implements PartitionedStateOperator {
  private committedThrough: Time | undefined;
  private readonly state = new KeyedState<K, S>();
  private pendingInitial: [K, S][] | undefined;
  /** In a group: the state of each partition this member holds (`state` is unused). */
  private readonly partStates = new PartitionedKeyedStates<K, S>();
  /** In a group: the initial state, whose keys enter each partition when it first starts. */
  private readonly initial: [K, S][] | undefined;

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly update: UpdateFunction<K, V, S>,
    initial: [K, S][] | undefined,
  ) {
    super(parent.ssc);
    this.pendingInitial = initial;
    this.initial = initial;
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
    return this.ssc.groupRuntime === undefined ? this.state.size : this.partStates.size;
  }

  compute(time: Time): RDD<[K, S]> | undefined {
    const group = this.ssc.groupRuntime;
    if (group !== undefined) {
      // A group member advances only the partitions of the running batch; each is a state of its own.
      const rdd = this.parent.getOrCompute(time);
      const out: [K, S][][] = Array.from({ length: group.partitions }, () => []);
      for (const p of group.active) {
        const state = this.partStates.of(p);
        this.step(state, (fn) => rdd !== undefined && forEachInGroupPartition(rdd, p, group.partitions, fn), time);
        out[p] = state.snapshot();
      }
      return RDD.fromPartitions(out);
    }
    // State already holds this batch: computing it again would apply it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    this.applyInitial();
    const rdd = this.parent.getOrCompute(time);
    this.step(this.state, (fn) => rdd?.forEachRecord(fn), time);
    return RDD.fromPartitions([this.state.snapshot()]);
  }

  /** Runs the update function over `state` and the batch's records (`forEach`). */
  private step(state: KeyedState<K, S>, forEach: (fn: (kv: [K, V]) => void) => void, time: Time): void {
    const grouped = new KeyMap<K, V[]>();
    forEach(([k, v]) => {
      const values = grouped.get(k);
      if (values === undefined) grouped.set(k, [v]);
      else values.push(v);
    });
    // Keys new to the state are found before any update runs: a key removed by its update this
    // batch is not new. Updating or deleting entries while iterating a Map is safe in JS.
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
    for (const [k, values] of fresh) {
      const next = update(values, undefined, k, time);
      if (next === undefined) state.delete(k);
      else {
        checkStateValue(next, k, "updateStateByKey");
        state.set(k, next);
      }
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

  /**
   * Called every batch after `compute` (whether or not the batch is on this stream's grid): an
   * initial state not put in yet goes in now, so that this batch's commit holds it. Otherwise
   * batches committed before the operator's first batch (a slide longer than the batch) committed
   * no state, and a restart restored an empty one: the initial state was lost. (In a group a
   * partition's initial keys go in when it is restored fresh.)
   */
  onBatch(): void {
    if (this.ssc.groupRuntime === undefined) this.applyInitial();
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

  takePartitionDelta(p: number): KeyedDelta<K, S> | undefined {
    return this.partStates.takeDelta(p);
  }

  partitionSnapshot(p: number): [K, S][] {
    return this.partStates.snapshot(p);
  }

  restorePartition(p: number, snapshot: unknown, deltas: readonly unknown[], fresh: boolean): void {
    const state = this.partStates.restore(p, snapshot, deltas);
    if (!fresh || this.initial === undefined) return;
    const partitions = this.ssc.groupPartitions as number;
    for (const [k, s] of this.initial) {
      if (hashKey(k) % partitions !== p) continue;
      checkStateValue(s, k, "updateStateByKey initial state");
      state.set(k, s);
    }
  }

  dropPartition(p: number): void {
    this.partStates.drop(p);
  }
}
