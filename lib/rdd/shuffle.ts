/**
 * The wide (shuffle) steps behind RDD operations. Each returns the output partitions as arrays;
 * the RDD wraps it in `RDD.deferred` so it runs once, on first use, as Spark reuses shuffle output.
 *
 * Determinism: keys come out in order of first appearance (input partition by partition), values
 * in arrival order. With one output partition no key is hashed.
 */
import { KeyMap } from "./key-map.js";
import { HashPartitioner } from "./partitioner.js";
import { compareKeys } from "./ordering.js";
import type { RDD, Sink } from "./rdd.js";

/** Splits `data` into `n` contiguous slices: slice i is [⌊i·len/n⌋, ⌊(i+1)·len/n⌋), as Spark's parallelize. */
export function slicePartitions<T>(data: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(data.slice(Math.floor((i * data.length) / n), Math.floor(((i + 1) * data.length) / n)));
  }
  return out;
}

/** `n` empty key maps, one per output partition. */
function keyMaps<K, V>(n: number): KeyMap<K, V>[] {
  return Array.from({ length: n }, () => new KeyMap<K, V>());
}

/**
 * A sink that routes each record to the key map of its key's output partition and hands both to
 * `add`. With one output partition, it skips hashing.
 */
function routed<R, K, V>(maps: KeyMap<K, V>[], keyOf: (r: R) => K, add: (m: KeyMap<K, V>, r: R) => void): Sink<R> {
  if (maps.length === 1) {
    const m = maps[0] as KeyMap<K, V>;
    return (r) => add(m, r);
  }
  const partitioner = new HashPartitioner(maps.length);
  return (r) => add(maps[partitioner.getPartition(keyOf(r))] as KeyMap<K, V>, r);
}

const pairKey = <K>(kv: readonly [K, unknown]): K => kv[0];

/**
 * Spark's combineByKey with map-side combine: per input partition, `create` on a key's first
 * value and `mergeValue` on the next; then the partition results merge with `mergeCombiners`, in
 * partition order. Returns `[key, combiner]` pairs per output partition.
 */
export function combinePartitions<K, V, C>(
  parent: RDD<[K, V]>,
  create: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  numOut: number,
): [K, C][][] {
  // Adapters: KeyMap.upsert passes (arg, key), and user functions must see only what Spark passes.
  const first = (v: V): C => create(v);
  const next = (c: C, v: V): C => mergeValue(c, v);
  const keep = (c: C): C => c;
  const merge = (a: C, b: C): C => mergeCombiners(a, b);
  const result = keyMaps<K, C>(numOut);
  const partitioner = numOut === 1 ? undefined : new HashPartitioner(numOut);
  for (let p = 0; p < parent.numPartitions; p++) {
    // Map-side combine into one map per input partition, then route its distinct keys: a key is
    // hashed once per input partition, not once per record, and no map is allocated per output
    // partition per input partition. Keys still reach each output partition in order of first
    // appearance, and combiners merge in partition order, as before.
    const m = p === 0 && partitioner === undefined ? (result[0] as KeyMap<K, C>) : new KeyMap<K, C>();
    parent.forEachInPartition(p, (kv) => void m.upsert(kv[0], kv[1], first, next));
    if (m === result[0]) continue;
    if (partitioner === undefined) {
      const target = result[0] as KeyMap<K, C>;
      for (const [k, c] of m.entries()) target.upsert(k, c, keep, merge);
    } else {
      for (const [k, c] of m.entries()) (result[partitioner.getPartition(k)] as KeyMap<K, C>).upsert(k, c, keep, merge);
    }
  }
  return result.map((m) => Array.from(m.entries()));
}

/** The distinct records (by value), in order of first appearance, hash-partitioned into `numOut`. */
export function distinctPartitions<T>(parent: RDD<T>, numOut: number): T[][] {
  const maps = keyMaps<T, true>(numOut);
  parent.forEachRecord(routed(maps, (x: T) => x, (m, x: T) => void (m.has(x) || m.set(x, true))));
  return maps.map((m) => Array.from(m.keys()));
}

/** The records hash-partitioned by `keyOf`, arrival order kept within each output partition. */
export function hashPartitions<T>(parent: RDD<T>, keyOf: (x: T) => unknown, numOut: number): T[][] {
  const out: T[][] = Array.from({ length: numOut }, () => []);
  if (numOut === 1) {
    parent.forEachRecord((x) => void (out[0] as T[]).push(x));
  } else {
    const partitioner = new HashPartitioner(numOut);
    parent.forEachRecord((x) => void (out[partitioner.getPartition(keyOf(x))] as T[]).push(x));
  }
  return out;
}

/**
 * Groups the records of several parents by key into one bucket array per parent, in order of
 * first appearance across the parents (taken in order). `groups` per output partition.
 */
export function groupPartitions<K>(parents: readonly RDD<[K, unknown]>[], numOut: number): KeyMap<K, unknown[][]>[] {
  const maps = keyMaps<K, unknown[][]>(numOut);
  const width = parents.length;
  const empty = (): unknown[][] => Array.from({ length: width }, () => []);
  parents.forEach((parent, side) => {
    const add = (m: KeyMap<K, unknown[][]>, kv: [K, unknown]): void => {
      let buckets = m.get(kv[0]);
      if (buckets === undefined) m.set(kv[0], (buckets = empty()));
      (buckets[side] as unknown[]).push(kv[1]);
    };
    parent.forEachRecord(routed(maps, pairKey, add));
  });
  return maps;
}

/** The records sorted by `keyOf` (stable), split into `n` contiguous partitions. */
export function sortPartitions<T, K>(items: T[], keyOf: (x: T) => K, ascending: boolean, n: number): T[][] {
  const keys = items.map((x) => keyOf(x));
  const order = Array.from(keys.keys());
  const sign = ascending ? 1 : -1;
  // Ties keep arrival order in both directions (Array.prototype.sort is stable).
  order.sort((a, b) => sign * compareKeys(keys[a], keys[b]));
  return slicePartitions(order.map((i) => items[i] as T), n);
}
