/**
 * Actions that fold an RDD into a value (take, reduce, fold, countByValue). The RDD class's
 * methods validate their arguments and delegate here.
 */
import type { RDD } from "./rdd.js";
import { KeyMap } from "./key-map.js";
import { cloneZero } from "./zero.js";

/** See {@link RDD.take}. Cuts the push chain short once it has `n` records. */
export function take<T>(rdd: RDD<T>, n: number): T[] {
  const out: T[] = [];
  if (n === 0) return out;
  const stop = {}; // thrown to stop the chain; unique per call so nested takes can't catch each other's
  try {
    rdd.forEachRecord((x) => {
      out.push(x);
      if (out.length >= n) throw stop;
    });
  } catch (e) {
    if (e !== stop) throw e;
  }
  return out;
}

/** See {@link RDD.reduce}. */
export function reduce<T>(rdd: RDD<T>, f: (a: T, b: T) => T): T {
  let acc: T | undefined;
  let seen = false;
  rdd.forEachRecord((x) => {
    acc = seen ? f(acc as T, x) : x;
    seen = true;
  });
  if (!seen) throw new RangeError("reduce() of an empty RDD; use fold(zero, f)");
  return acc as T;
}

/** See {@link RDD.fold}. */
export function fold<T>(rdd: RDD<T>, zero: T, f: (a: T, b: T) => T): T {
  let result = cloneZero(zero);
  for (let i = 0; i < rdd.numPartitions; i++) {
    let acc = cloneZero(zero);
    rdd.forEachInPartition(i, (x) => void (acc = f(acc, x)));
    result = f(result, acc);
  }
  return result;
}

/** Counts records by `keyOf(record)` (keys by value), in order of first appearance. */
export function countBy<T, K>(rdd: RDD<T>, keyOf: (x: T) => K): Map<K, number> {
  const counts = new KeyMap<K, number>();
  rdd.forEachRecord((x) => counts.upsert(keyOf(x), 1, one, increment));
  return counts.toMap();
}

function one(): number {
  return 1;
}

function increment(n: number): number {
  return n + 1;
}
