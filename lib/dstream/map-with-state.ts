import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { hashKey } from "../rdd/partitioner.js";
import { DStream, KeyedState, PartitionedKeyedStates, PerBatchDStream, StateImpl, forEachInGroupPartition, initialEntries, type KeyedDelta, type PartitionedStateOperator, type StateSpec } from "./internal.js";
import { checkStateValue } from "./plain-state.js";

/** A key's state and the batch time it was last updated (for timeouts). */
export interface TimedState<S> {
  value: S;
  updatedAt: Time;
}

/** What the internal stream produces per batch: the mapped records and, if asked for, all state. */
interface MapWithStateBatch<K, S, M> {
  mapped: M[];
  snapshot: [K, S][] | undefined;
}

/**
 * The stateful core of mapWithState (Spark's InternalMapWithStateDStream): runs the function once
 * per record, then times out idle keys (last update < batch time − timeout), every batch.
 */
export class InternalMapWithStateDStream<K, V, S, M> extends DStream<MapWithStateBatch<K, S, M>> implements PartitionedStateOperator {
  private committedThrough: Time | undefined;
  private readonly state = new KeyedState<K, TimedState<S>>();
  private pendingInitial: [K, S][] | undefined;
  /** In a group: the state of each partition this member holds (`state` is unused). */
  private readonly partStates = new PartitionedKeyedStates<K, TimedState<S>>();
  /** In a group: partitions that start fresh and take their keys of the initial state at their first batch. */
  private readonly freshParts = new Set<number>();
  private readonly initial: [K, S][];
  private readonly wrapper = new StateImpl<S>();
  /** Set when stateSnapshots() is used: only then is the whole state copied each batch. */
  wantSnapshots = false;

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent.ssc);
    this.pendingInitial = initialEntries(spec.settings.initial);
    this.initial = this.pendingInitial;
    parent.ssc.graph.addStateOperator(this);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  override get kind(): string {
    return "MapWithStateDStream";
  }

  get size(): number {
    return this.ssc.groupRuntime === undefined ? this.state.size : this.partStates.size;
  }

  compute(time: Time): RDD<MapWithStateBatch<K, S, M>> | undefined {
    const group = this.ssc.groupRuntime;
    if (group !== undefined) {
      // One batch record per partition (empty for partitions not in this batch), so partition p
      // of the output is group partition p.
      const rdd = this.parent.getOrCompute(time);
      const out: MapWithStateBatch<K, S, M>[][] = Array.from({ length: group.partitions }, () => [{ mapped: [], snapshot: this.wantSnapshots ? [] : undefined }]);
      for (const p of group.active) {
        const state = this.partStates.of(p);
        if (this.freshParts.delete(p)) this.seed(state, (k) => hashKey(k) % group.partitions === p, time);
        out[p] = [this.step(state, (fn) => rdd !== undefined && forEachInGroupPartition(rdd, p, group.partitions, fn), time)];
      }
      return RDD.fromPartitions(out);
    }
    // State already holds this batch: computing it again would apply it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    if (this.pendingInitial !== undefined) {
      this.seed(this.state, () => true, time);
      this.pendingInitial = undefined;
    }
    const rdd = this.parent.getOrCompute(time);
    return RDD.fromPartitions([[this.step(this.state, (fn) => rdd?.forEachRecord(fn), time)]]);
  }

  /** Puts the initial state's keys that `mine` accepts into `state`, as updated at `time`. */
  private seed(state: KeyedState<K, TimedState<S>>, mine: (k: K) => boolean, time: Time): void {
    for (const [k, s] of this.initial) {
      if (!mine(k)) continue;
      checkStateValue(s, k, "mapWithState initial state");
      state.set(k, { value: s, updatedAt: time });
    }
  }

  /** Runs the mapping function over the batch's records (`forEach`), then times out idle keys. */
  private step(state: KeyedState<K, TimedState<S>>, forEach: (fn: (kv: [K, V]) => void) => void, time: Time): MapWithStateBatch<K, S, M> {
    const fn = this.spec.mappingFunction;
    const timeout = this.spec.settings.timeout;
    const st = this.wrapper;
    const mapped: M[] = [];
    forEach(([k, v]) => {
      const current = state.get(k);
      st.wrap(current !== undefined, current?.value);
      const out = fn(k, v, st, time);
      if (st.removed) state.delete(k);
      else if (st.updated || (st.exists() && timeout !== undefined)) {
        if (st.updated) checkStateValue(st.get(), k, "mapWithState");
        state.set(k, { value: st.get(), updatedAt: time });
      }
      if (out !== undefined) mapped.push(out);
    });
    if (timeout !== undefined) {
      const threshold = time - timeout;
      const idle: [K, S][] = [];
      for (const [k, s] of state.entries()) if (s.updatedAt < threshold) idle.push([k, s.value]);
      for (const [k, s] of idle) {
        st.wrap(true, s, true);
        const out = fn(k, undefined, st, time);
        state.delete(k);
        if (out !== undefined) mapped.push(out);
      }
    }
    const snapshot = this.wantSnapshots ? Array.from(state.entries(), ([k, s]): [K, S] => [k, s.value]) : undefined;
    return { mapped, snapshot };
  }

  /**
   * Called every batch after `compute` (whether or not the batch is on this stream's grid): an
   * initial state not put in yet goes in now, as updated at this operator's first batch (what
   * `compute` would give it), so that this batch's commit holds it. Otherwise batches committed
   * before the operator's first batch (a slide longer than the batch) committed no state, and a
   * restart (or a group member taking the partition over) restored an empty state: the initial
   * state was lost.
   */
  onBatch(time: Time): void {
    const zero = this.zeroTime ?? 0;
    const slide = this.slideDuration;
    const first = time + ((slide - ((((time - zero) % slide) + slide) % slide)) % slide);
    const group = this.ssc.groupRuntime;
    if (group !== undefined) {
      for (const p of group.active) if (this.freshParts.delete(p)) this.seed(this.partStates.of(p), (k) => hashKey(k) % group.partitions === p, first);
      return;
    }
    if (this.pendingInitial === undefined) return;
    this.seed(this.state, () => true, first);
    this.pendingInitial = undefined;
  }

  takeDelta(): KeyedDelta<K, TimedState<S>> | undefined {
    return this.state.takeDelta();
  }

  snapshot(): [K, TimedState<S>][] {
    return this.state.snapshot();
  }

  restore(snapshot: unknown, deltas: readonly unknown[], committedThrough: Time): void {
    this.committedThrough = committedThrough;
    this.pendingInitial = undefined;
    this.state.restore(snapshot as [K, TimedState<S>][] | undefined, deltas as KeyedDelta<K, TimedState<S>>[]);
  }

  takePartitionDelta(p: number): KeyedDelta<K, TimedState<S>> | undefined {
    return this.partStates.takeDelta(p);
  }

  partitionSnapshot(p: number): [K, TimedState<S>][] {
    return this.partStates.snapshot(p);
  }

  restorePartition(p: number, snapshot: unknown, deltas: readonly unknown[], fresh: boolean): void {
    this.partStates.restore(p, snapshot, deltas);
    if (fresh && this.initial.length > 0) this.freshParts.add(p);
    else this.freshParts.delete(p);
  }

  dropPartition(p: number): void {
    this.partStates.drop(p);
    this.freshParts.delete(p);
  }
}

/**
 * The stream `mapWithState` returns: what the function returned, per batch. `stateSnapshots()` gives
 * the whole state after each batch.
 */
export class MapWithStateDStream<K, V, S, M> extends PerBatchDStream<MapWithStateBatch<K, S, M>, M> {
  constructor(readonly internal: InternalMapWithStateDStream<K, V, S, M>) {
    super(internal, (rdd) => RDD.fromPartitions(rdd.collect().map((b) => b.mapped)));
  }

  /** `[key, state]` for every key, after each batch. */
  stateSnapshots(): DStream<[K, S]> {
    this.internal.wantSnapshots = true;
    return new PerBatchDStream(this.internal, (rdd) => RDD.fromPartitions(rdd.collect().map((b) => b.snapshot ?? [])));
  }
}
