import { ErrorCodes, StateError } from "../../errors.js";
import { RDD } from "../rdd/rdd.js";
import { requirePositiveDuration, type Duration, type Time } from "../time.js";
import { checkFunction } from "./internal.js";

/** The state of one key, handed to a mapWithState function (Spark's State). */
export interface State<S> {
  /** True when the key has state. */
  exists(): boolean;
  /** The state; throws a StateError when there is none. */
  get(): S;
  /** The state, or undefined. */
  getOption(): S | undefined;
  /** Sets the state; not allowed while timing out or after remove(). */
  update(s: S): void;
  /** Removes the state; not allowed while timing out or after remove(). */
  remove(): void;
  /** True in the last call for a key that timed out. */
  isTimingOut(): boolean;
}

/** The function of a StateSpec; returning undefined emits nothing for that call. */
export type MappingFunction<K, V, S, M> = (key: K, value: V | undefined, state: State<S>, time: Time) => M | undefined;

/** What `mapWithState` runs: the function, and optionally initial state, partitions and timeout. */
export class StateSpec<K, V, S, M> {
  private initial: Iterable<[K, S]> | RDD<[K, S]> | undefined;
  private partitions: number | undefined;
  private idle: Duration | undefined;

  private constructor(readonly mappingFunction: MappingFunction<K, V, S, M>) {}

  /** A spec running `fn` once per record (and once more for a key that times out). */
  static function<K, V, S, M>(fn: MappingFunction<K, V, S, M>): StateSpec<K, V, S, M> {
    checkFunction(fn, "StateSpec.function(fn)");
    return new StateSpec(fn);
  }

  /** State the keys start with; they take part from the first batch. Ignored when recovering. */
  initialState(data: Iterable<[K, S]> | RDD<[K, S]>): this {
    if (data === null || typeof data !== "object") throw new TypeError(`initialState(data) expects an iterable of [key, state] or an RDD; got ${String(data)}`);
    this.initial = data;
    return this;
  }

  /** Number of partitions of the output. */
  numPartitions(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`numPartitions(n) expects a positive integer; got ${String(n)}`);
    this.partitions = n;
    return this;
  }

  /** Removes a key idle for longer than `idle` ms, after one last call with isTimingOut() true. */
  timeout(idle: Duration): this {
    this.idle = requirePositiveDuration(idle, "timeout(idle)");
    return this;
  }

  /** The spec's settings, for the operator. */
  get settings(): { initial: Iterable<[K, S]> | RDD<[K, S]> | undefined; numPartitions: number | undefined; timeout: Duration | undefined } {
    return { initial: this.initial, numPartitions: this.partitions, timeout: this.idle };
  }
}

/** The one State object a mapWithState operator reuses for every call (as Spark's StateImpl). */
export class StateImpl<S> implements State<S> {
  private present = false;
  private value: S | undefined;
  private timingOut = false;
  updated = false;
  removed = false;

  /** Points the object at a key's state (or none) before a call. */
  wrap(present: boolean, value: S | undefined, timingOut = false): void {
    this.present = present;
    this.value = value;
    this.timingOut = timingOut;
    this.updated = false;
    this.removed = false;
  }

  exists(): boolean {
    return this.present;
  }

  get(): S {
    if (!this.present) throw new StateError(ErrorCodes.STATE_INVALID, "State is not set: check exists() or use getOption() before get()");
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  update(s: S): void {
    if (this.removed) throw new StateError(ErrorCodes.STATE_INVALID, "Cannot update the state after it has been removed");
    if (this.timingOut) throw new StateError(ErrorCodes.STATE_INVALID, "Cannot update the state that is timing out");
    this.value = s;
    this.present = true;
    this.updated = true;
  }

  remove(): void {
    if (this.timingOut) throw new StateError(ErrorCodes.STATE_INVALID, "Cannot remove the state that is timing out");
    if (this.removed) throw new StateError(ErrorCodes.STATE_INVALID, "Cannot remove the state that has already been removed");
    this.present = false;
    this.value = undefined;
    this.removed = true;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }
}

/** The initial state given as an iterable or an RDD, as an array. */
export function initialEntries<K, S>(initial: Iterable<[K, S]> | RDD<[K, S]> | undefined): [K, S][] {
  if (initial === undefined) return [];
  if (initial instanceof RDD) return initial.collect();
  return Array.from(initial);
}
