/**
 * The operations of DStream<[K, V]> (Spark's PairDStreamFunctions). DStream's pair methods delegate
 * here; each builds its stream from the RDD operation of the same name.
 */
import type { RDD } from "../rdd/rdd.js";
import { requirePositiveDuration, type Duration } from "../time.js";
import {
  ExchangeDStream,
  InternalMapWithStateDStream,
  MapWithStateDStream,
  ReducedWindowedDStream,
  ShuffledDStream,
  StateDStream,
  TransformedDStream,
  checkFunction,
  checkWindow,
  isKeyPartitioned,
  markKeyPartitioned,
  type DStream,
  type StateSpec,
  type UpdateFunction,
} from "./internal.js";

type Pair<K, V> = DStream<[K, V]>;

/**
 * In a group (DESIGN.md §10): `s` with every key moved to the member holding its partition (a
 * JetStream shuffle; `combine` reduces per key first), unless `s` is partitioned by key already.
 * Outside a group: `s`, and keyed operators shuffle within the process.
 */
function keyed<K, V>(s: Pair<K, V>, combine?: (a: V, b: V) => V): Pair<K, V> {
  if (s.ssc.groupOptions === undefined || isKeyPartitioned(s)) return s;
  return new ExchangeDStream(s, "key", combine as ((a: unknown, b: unknown) => unknown) | undefined);
}

/**
 * The partition count of a keyed operator's output: in a group always the group's partitions
 * (known once the group is joined; read when a batch runs), so partition p of every stage is
 * group partition p; otherwise what the caller asked for.
 */
function outParts(s: DStream<unknown>, n: number | undefined): number | undefined {
  return s.ssc.groupOptions === undefined ? n : s.ssc.groupPartitions;
}

/** In a group, marks a keyed operator's output as partitioned by key. */
function byKey<S extends DStream<unknown>>(out: S): S {
  return out.ssc.groupOptions === undefined ? out : markKeyPartitioned(out);
}

export function groupByKey<K, V>(s: Pair<K, V>, numPartitions?: number): DStream<[K, V[]]> {
  return byKey(new ShuffledDStream(keyed(s), (rdd) => rdd.groupByKey(outParts(s, numPartitions))));
}

export function reduceByKey<K, V>(s: Pair<K, V>, f: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]> {
  checkFunction(f, "reduceByKey(f)");
  return byKey(new ShuffledDStream(keyed(s, f), (rdd) => rdd.reduceByKey(f, outParts(s, numPartitions))));
}

export function combineByKey<K, V, C>(s: Pair<K, V>, create: (v: V) => C, mergeValue: (c: C, v: V) => C, mergeCombiners: (a: C, b: C) => C, numPartitions?: number): DStream<[K, C]> {
  checkFunction(create, "combineByKey(createCombiner, …)");
  checkFunction(mergeValue, "combineByKey(…, mergeValue, …)");
  checkFunction(mergeCombiners, "combineByKey(…, mergeCombiners)");
  return byKey(new ShuffledDStream(keyed(s), (rdd) => rdd.combineByKey(create, mergeValue, mergeCombiners, outParts(s, numPartitions))));
}

export function mapValues<K, V, U>(s: Pair<K, V>, f: (v: V) => U): DStream<[K, U]> {
  checkFunction(f, "mapValues(f)");
  const out = new ShuffledDStream(s, (rdd) => rdd.mapValues(f));
  return isKeyPartitioned(s) ? markKeyPartitioned(out) : out;
}

export function flatMapValues<K, V, U>(s: Pair<K, V>, f: (v: V) => Iterable<U>): DStream<[K, U]> {
  checkFunction(f, "flatMapValues(f)");
  const out = new ShuffledDStream(s, (rdd) => rdd.flatMapValues(f));
  return isKeyPartitioned(s) ? markKeyPartitioned(out) : out;
}

export function groupByKeyAndWindow<K, V>(s: Pair<K, V>, windowDuration: Duration, slideDuration: Duration, numPartitions?: number): DStream<[K, V[]]> {
  checkWindow(s, windowDuration, slideDuration);
  // As Spark: group each batch, window the groups, then concatenate the groups of each key.
  return combineByKey(
    groupByKey(s, numPartitions).window(windowDuration, slideDuration),
    (vs: V[]) => [...vs],
    (acc: V[], vs: V[]) => {
      for (const v of vs) acc.push(v);
      return acc;
    },
    (a: V[], b: V[]) => a.concat(b),
    numPartitions,
  );
}

export function reduceByKeyAndWindow<K, V>(
  s: Pair<K, V>,
  f: (a: V, b: V) => V,
  invF: ((a: V, b: V) => V) | undefined,
  windowDuration: Duration,
  slideDuration: Duration,
  numPartitions?: number,
  filterFunc?: (kv: [K, V]) => boolean,
): DStream<[K, V]> {
  checkFunction(f, "reduceByKeyAndWindow(f, …)");
  // Validate before creating the intermediate streams: a rejected call must leave no operator behind.
  checkWindow(s, requirePositiveDuration(windowDuration, "windowDuration"), slideDuration);
  if (invF === undefined) {
    // Without an inverse: reduce each batch, window, reduce again; absent keys vanish.
    return reduceByKey(reduceByKey(s, f, numPartitions).window(windowDuration, slideDuration), f, numPartitions);
  }
  checkFunction(invF, "reduceByKeyAndWindow(f, invF, …)");
  if (filterFunc !== undefined) checkFunction(filterFunc, "reduceByKeyAndWindow filterFunc");
  return new ReducedWindowedDStream(reduceByKey(s, f, numPartitions), f, invF, windowDuration, slideDuration, filterFunc);
}

export function updateStateByKey<K, V, S>(
  s: Pair<K, V>,
  update: UpdateFunction<K, V, S>,
  options?: { initial?: Iterable<[K, S]> | RDD<[K, S]>; numPartitions?: number },
): DStream<[K, S]> {
  checkFunction(update, "updateStateByKey(update)");
  return byKey(StateDStream.create(keyed(s), update, options?.initial));
}

export function mapWithState<K, V, S, M>(s: Pair<K, V>, spec: StateSpec<K, V, S, M>): MapWithStateDStream<K, V, S, M> {
  if (spec === null || typeof spec !== "object" || typeof spec.mappingFunction !== "function") {
    throw new TypeError("mapWithState(spec) expects a StateSpec made with StateSpec.function(fn)");
  }
  return new MapWithStateDStream(new InternalMapWithStateDStream(keyed(s), spec));
}

function joinLike<K, V, W, R>(a: Pair<K, V>, b: Pair<K, W>, op: (x: RDD<[K, V]>, y: RDD<[K, W]>) => RDD<R>): DStream<R> {
  return byKey(new TransformedDStream<R>([keyed(a), keyed(b)], (rdds) => op(rdds[0] as RDD<[K, V]>, rdds[1] as RDD<[K, W]>)));
}

export function join<K, V, W>(a: Pair<K, V>, b: Pair<K, W>, numPartitions?: number): DStream<[K, [V, W]]> {
  return joinLike(a, b, (x, y) => x.join(y, outParts(a, numPartitions)));
}

export function leftOuterJoin<K, V, W>(a: Pair<K, V>, b: Pair<K, W>, numPartitions?: number): DStream<[K, [V, W | undefined]]> {
  return joinLike(a, b, (x, y) => x.leftOuterJoin(y, outParts(a, numPartitions)));
}

export function rightOuterJoin<K, V, W>(a: Pair<K, V>, b: Pair<K, W>, numPartitions?: number): DStream<[K, [V | undefined, W]]> {
  return joinLike(a, b, (x, y) => x.rightOuterJoin(y, outParts(a, numPartitions)));
}

export function fullOuterJoin<K, V, W>(a: Pair<K, V>, b: Pair<K, W>, numPartitions?: number): DStream<[K, [V | undefined, W | undefined]]> {
  return joinLike(a, b, (x, y) => x.fullOuterJoin(y, outParts(a, numPartitions)));
}

export function cogroup<K, V, W>(a: Pair<K, V>, b: Pair<K, W>, numPartitions?: number): DStream<[K, [V[], W[]]]> {
  return joinLike(a, b, (x, y) => x.cogroup(y, outParts(a, numPartitions)));
}
