/**
 * Operations on RDDs of `[key, value]` pairs, as Spark's PairRDDFunctions. The RDD class's
 * methods delegate here. Keys compare by value (see key-map.ts). Joins live in join.ts.
 */
import { RDD } from "./rdd.js";
import { KeyMap } from "./key-map.js";
import { combinePartitions, hashPartitions, sortPartitions } from "./shuffle.js";
import { countBy } from "./actions.js";
import { cloneZero } from "./zero.js";
import { numPartitionsOr, requireFunction, requireNumPartitions, describe } from "./validate.js";

/** See {@link RDD.combineByKey}. Default numPartitions: the parent's (at least 1). */
export function combineByKey<K, V, C>(
  rdd: RDD<[K, V]>,
  create: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  numPartitions?: number,
  what = "combineByKey",
): RDD<[K, C]> {
  requireFunction(create, `${what}(createCombiner)`);
  requireFunction(mergeValue, `${what}(mergeValue)`);
  requireFunction(mergeCombiners, `${what}(mergeCombiners)`);
  const n = numPartitionsOr(numPartitions, rdd.numPartitions, `${what}(…, numPartitions)`);
  return RDD.deferred(n, () => combinePartitions(rdd, create, mergeValue, mergeCombiners, n));
}

/** See {@link RDD.reduceByKey}. */
export function reduceByKey<K, V>(rdd: RDD<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
  requireFunction(f, "reduceByKey(f)");
  return combineByKey(rdd, identity, f, f, numPartitions, "reduceByKey");
}

/** See {@link RDD.groupByKey}. */
export function groupByKey<K, V>(rdd: RDD<[K, V]>, numPartitions?: number): RDD<[K, V[]]> {
  return combineByKey(rdd, (v: V) => [v], appendOne, appendAll, numPartitions, "groupByKey");
}

/** See {@link RDD.foldByKey}. */
export function foldByKey<K, V>(rdd: RDD<[K, V]>, zero: V, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
  requireFunction(f, "foldByKey(zero, f)");
  return combineByKey(rdd, (v: V) => f(cloneZero(zero), v), f, f, numPartitions, "foldByKey");
}

/** See {@link RDD.aggregateByKey}. */
export function aggregateByKey<K, V, U>(
  rdd: RDD<[K, V]>,
  zero: U,
  seqOp: (u: U, v: V) => U,
  combOp: (a: U, b: U) => U,
  numPartitions?: number,
): RDD<[K, U]> {
  requireFunction(seqOp, "aggregateByKey(zero, seqOp)");
  return combineByKey(rdd, (v: V) => seqOp(cloneZero(zero), v), seqOp, combOp, numPartitions, "aggregateByKey");
}

/** See {@link RDD.mapValues}. */
export function mapValues<K, V, U>(rdd: RDD<[K, V]>, f: (v: V) => U): RDD<[K, U]> {
  requireFunction(f, "mapValues(f)");
  return rdd.narrow<[K, U]>((emit) => (kv) => emit([kv[0], f(kv[1])]));
}

/** See {@link RDD.flatMapValues}. */
export function flatMapValues<K, V, U>(rdd: RDD<[K, V]>, f: (v: V) => Iterable<U>): RDD<[K, U]> {
  requireFunction(f, "flatMapValues(f)");
  return rdd.narrow<[K, U]>((emit) => (kv) => {
    for (const u of f(kv[1])) emit([kv[0], u]);
  });
}

/** See {@link RDD.keys}. */
export function keys<K, V>(rdd: RDD<[K, V]>): RDD<K> {
  return rdd.narrow<K>((emit) => (kv) => emit(kv[0]));
}

/** See {@link RDD.values}. */
export function values<K, V>(rdd: RDD<[K, V]>): RDD<V> {
  return rdd.narrow<V>((emit) => (kv) => emit(kv[1]));
}

/** See {@link RDD.countByKey}. */
export function countByKey<K, V>(rdd: RDD<[K, V]>): Map<K, number> {
  return countBy(rdd, (kv) => kv[0]);
}

/** See {@link RDD.collectAsMap}. */
export function collectAsMap<K, V>(rdd: RDD<[K, V]>): Map<K, V> {
  const map = new KeyMap<K, V>();
  rdd.forEachRecord((kv) => map.set(kv[0], kv[1]));
  return map.toMap();
}

/** See {@link RDD.sortByKey}. */
export function sortByKey<K, V>(rdd: RDD<[K, V]>, ascending = true, numPartitions?: number): RDD<[K, V]> {
  if (typeof ascending !== "boolean") throw new TypeError(`sortByKey(ascending) expects a boolean; got ${describe(ascending)}`);
  const n = numPartitionsOr(numPartitions, rdd.numPartitions, "sortByKey(ascending, numPartitions)");
  return RDD.deferred(n, () => sortPartitions(rdd.collect(), (kv: [K, V]) => kv[0], ascending, n));
}

/** See {@link RDD.partitionBy}. */
export function partitionBy<K, V>(rdd: RDD<[K, V]>, numPartitions: number): RDD<[K, V]> {
  const n = requireNumPartitions(numPartitions, "partitionBy(numPartitions)");
  return RDD.deferred(n, () => hashPartitions(rdd, (kv: [K, V]) => kv[0], n));
}

function identity<V>(v: V): V {
  return v;
}

function appendOne<V>(list: V[], v: V): V[] {
  list.push(v);
  return list;
}

function appendAll<V>(a: V[], b: V[]): V[] {
  for (const v of b) a.push(v);
  return a;
}
