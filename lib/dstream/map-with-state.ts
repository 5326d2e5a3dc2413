import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, KeyedState, PerBatchDStream, StateImpl, initialEntries, type KeyedDelta, type StateOperator, type StateSpec } from "./internal.js";
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
export class InternalMapWithStateDStream<K, V, S, M> extends DStream<MapWithStateBatch<K, S, M>> implements StateOperator {
  private committedThrough: Time | undefined;
  private readonly state = new KeyedState<K, TimedState<S>>();
  private pendingInitial: [K, S][] | undefined;
  private readonly wrapper = new StateImpl<S>();
  /** Set when stateSnapshots() is used: only then is the whole state copied each batch. */
  wantSnapshots = false;

  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent.ssc);
    this.pendingInitial = initialEntries(spec.settings.initial);
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
    return this.state.size;
  }

  compute(time: Time): RDD<MapWithStateBatch<K, S, M>> | undefined {
    // State already holds this batch: computing it again would apply it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    if (this.pendingInitial !== undefined) {
      for (const [k, s] of this.pendingInitial) {
        checkStateValue(s, k, "mapWithState initial state");
        this.state.set(k, { value: s, updatedAt: time });
      }
      this.pendingInitial = undefined;
    }
    const fn = this.spec.mappingFunction;
    const timeout = this.spec.settings.timeout;
    const st = this.wrapper;
    const mapped: M[] = [];
    this.parent.getOrCompute(time)?.forEachRecord(([k, v]) => {
      const current = this.state.get(k);
      st.wrap(current !== undefined, current?.value);
      const out = fn(k, v, st, time);
      if (st.removed) this.state.delete(k);
      else if (st.updated || (st.exists() && timeout !== undefined)) {
        if (st.updated) checkStateValue(st.get(), k, "mapWithState");
        this.state.set(k, { value: st.get(), updatedAt: time });
      }
      if (out !== undefined) mapped.push(out);
    });
    if (timeout !== undefined) {
      const threshold = time - timeout;
      const idle: [K, S][] = [];
      for (const [k, s] of this.state.entries()) if (s.updatedAt < threshold) idle.push([k, s.value]);
      for (const [k, s] of idle) {
        st.wrap(true, s, true);
        const out = fn(k, undefined, st, time);
        this.state.delete(k);
        if (out !== undefined) mapped.push(out);
      }
    }
    const snapshot = this.wantSnapshots ? Array.from(this.state.entries(), ([k, s]): [K, S] => [k, s.value]) : undefined;
    return RDD.fromPartitions([[{ mapped, snapshot }]]);
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
