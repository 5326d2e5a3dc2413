/**
 * RDD: one batch of data, an immutable list of partitions. Narrow operations (map, filter,
 * flatMap, mapValues…) are lazy and fused: each partition is computed in one pass through a chain
 * of push-style sinks, with no intermediate array per operator. Shuffles (reduceByKey, join,
 * distinct, sortBy, repartition…) and actions materialize. Pair operations live in
 * `pair-functions.ts` and `join.ts`, as Spark's PairRDDFunctions; the methods here delegate.
 */
import * as pairs from "./pair-functions.js";
import * as joins from "./join.js";
import { distinctPartitions, slicePartitions, sortPartitions } from "./shuffle.js";
import * as actions from "./actions.js";
import { numPartitionsOr, requireCount, requireFunction, requireNumPartitions, describe } from "./validate.js";
import { tempTables } from "../sql/temp-tables.js";

/** Receives one record. */
export type Sink<T> = (x: T) => void;
/** Computes partition `index`, pushing its records into `emit` in order. */
export type PartitionRunner<T> = (index: number, emit: Sink<T>) => void;
type Parts<T> = readonly (readonly T[])[];

/** One batch of data, split into partitions. Immutable; transformations return new RDDs. */
export class RDD<T> {
  /** Number of partitions. */
  readonly numPartitions: number;
  /** Arrays of the partitions once known: a source, a computed shuffle, or a cached chain. */
  #parts: Parts<T> | undefined;
  /** Computes all partitions at once (shuffle output); run at most once, on first use. */
  #compute: (() => Parts<T>) | undefined;
  /** The fused narrow chain computing one partition. */
  readonly #run: PartitionRunner<T> | undefined;
  #cacheRequested = false;

  private constructor(numPartitions: number, parts?: Parts<T>, compute?: () => Parts<T>, run?: PartitionRunner<T>) {
    this.numPartitions = numPartitions;
    this.#parts = parts;
    this.#compute = compute;
    this.#run = run;
  }

  // ---------------------------------------------------------------- factories

  /** An RDD over these partitions; takes ownership of the arrays (no copy): do not mutate them after. */
  static fromPartitions<T>(parts: readonly (readonly T[])[]): RDD<T> {
    if (!Array.isArray(parts)) throw new TypeError(`RDD.fromPartitions(parts) expects an array of arrays; got ${describe(parts)}`);
    return new RDD<T>(parts.length, parts);
  }

  /** An RDD with no partitions. */
  static empty<T>(): RDD<T> {
    return new RDD<T>(0, []);
  }

  /** Splits `data` into `numPartitions` contiguous slices (Spark's rule); the data is copied. */
  static parallelize<T>(data: readonly T[], numPartitions = 1): RDD<T> {
    if (!Array.isArray(data)) throw new TypeError(`parallelize(data) expects an array; got ${describe(data)}`);
    return new RDD<T>(numPartitions, slicePartitions(data, requireNumPartitions(numPartitions, "parallelize(data, numPartitions)")));
  }

  /** The partitions of every RDD, concatenated in order. */
  static union<T>(rdds: RDD<T>[]): RDD<T> {
    if (!Array.isArray(rdds) || !rdds.every((r) => r instanceof RDD)) {
      throw new TypeError(`RDD.union(rdds) expects an array of RDDs; got ${describe(rdds)}`);
    }
    if (rdds.length === 1) return rdds[0] as RDD<T>;
    const owner: RDD<T>[] = [];
    const local: number[] = [];
    for (const r of rdds) for (let i = 0; i < r.numPartitions; i++) (owner.push(r), local.push(i));
    return RDD.fromRunner(owner.length, (i, emit) => (owner[i] as RDD<T>).forEachInPartition(local[i] as number, emit));
  }

  /** @internal An RDD whose partition `i` is produced by `run(i, emit)`, each time it is needed. */
  static fromRunner<T>(numPartitions: number, run: PartitionRunner<T>): RDD<T> {
    return new RDD<T>(numPartitions, undefined, undefined, run);
  }

  /** @internal An RDD whose partitions are computed together by `compute`, once, on first use (shuffle output). */
  static deferred<T>(numPartitions: number, compute: () => readonly (readonly T[])[]): RDD<T> {
    return new RDD<T>(numPartitions, undefined, compute);
  }

  // ---------------------------------------------------------------- internals used by the DStream layer

  /** @internal A narrow operator fused into this RDD's chain: `stage(emit)` turns a downstream sink into a sink of T. */
  narrow<U>(stage: (emit: Sink<U>) => Sink<T>): RDD<U> {
    return RDD.fromRunner<U>(this.numPartitions, (i, emit) => this.forEachInPartition(i, stage(emit)));
  }

  /** @internal Pushes every record of partition `index` through `fn`, in order. */
  forEachInPartition(index: number, fn: Sink<T>): void {
    const parts = this.#known();
    if (parts !== undefined) {
      const p = parts[index] as readonly T[];
      for (let j = 0; j < p.length; j++) fn(p[j] as T);
    } else {
      (this.#run as PartitionRunner<T>)(index, fn);
    }
  }

  /** Streams every record of every partition through `fn`, in order, without building arrays for narrow chains. */
  forEachRecord(fn: (x: T) => void): void {
    for (let i = 0; i < this.numPartitions; i++) this.forEachInPartition(i, fn);
  }

  /** Each partition as a fresh array, in order. */
  partitionArrays(): T[][] {
    const parts = this.#known();
    if (parts !== undefined) return parts.map((p) => p.slice());
    const out: T[][] = [];
    for (let i = 0; i < this.numPartitions; i++) out.push(this.#partition(i));
    return out;
  }

  /** Memoizes the partitions on first use: later actions and children don't recompute the chain. */
  cache(): this {
    this.#cacheRequested = true;
    return this;
  }

  /** Same as {@link RDD.cache} (Spark's name for the default storage level). */
  persist(): this {
    return this.cache();
  }

  #known(): Parts<T> | undefined {
    if (this.#parts !== undefined) return this.#parts;
    if (this.#compute !== undefined) {
      this.#parts = this.#compute();
      this.#compute = undefined;
    } else if (this.#cacheRequested) {
      const run = this.#run as PartitionRunner<T>;
      const parts: T[][] = [];
      for (let i = 0; i < this.numPartitions; i++) {
        const p: T[] = [];
        run(i, (x) => p.push(x));
        parts.push(p);
      }
      this.#parts = parts;
    }
    return this.#parts;
  }

  /** Partition `i` as a fresh array. */
  #partition(i: number): T[] {
    const out: T[] = [];
    this.forEachInPartition(i, (x) => out.push(x));
    return out;
  }

  // ---------------------------------------------------------------- narrow transformations

  /** Applies `f` to every record. Lazy, fused. */
  map<U>(f: (x: T) => U): RDD<U> {
    requireFunction(f, "map(f)");
    return this.narrow<U>((emit) => (x) => emit(f(x)));
  }

  /** Applies `f` to every record and flattens the iterables it returns. Lazy, fused. */
  flatMap<U>(f: (x: T) => Iterable<U>): RDD<U> {
    requireFunction(f, "flatMap(f)");
    return this.narrow<U>((emit) => (x) => {
      const out = f(x);
      if (Array.isArray(out)) {
        for (let i = 0; i < out.length; i++) emit(out[i] as U);
      } else {
        for (const u of out) emit(u);
      }
    });
  }

  /** Keeps the records for which `f` is truthy. Lazy, fused. */
  filter(f: (x: T) => unknown): RDD<T> {
    requireFunction(f, "filter(f)");
    return this.narrow<T>((emit) => (x) => {
      if (f(x)) emit(x);
    });
  }

  /** Pairs each record with the key `f` gives it: `[f(x), x]`. Lazy, fused. */
  keyBy<K>(f: (x: T) => K): RDD<[K, T]> {
    requireFunction(f, "keyBy(f)");
    return this.narrow<[K, T]>((emit) => (x) => emit([f(x), x]));
  }

  /**
   * Calls `f` once per partition with an iterator over its records and its index; the records of
   * the iterable it returns form the partition. The partition is materialized for `f`.
   */
  mapPartitions<U>(f: (it: Iterable<T>, index: number) => Iterable<U>): RDD<U> {
    requireFunction(f, "mapPartitions(f)");
    return RDD.fromRunner<U>(this.numPartitions, (i, emit) => {
      for (const u of f(this.#partition(i).values(), i)) emit(u);
    });
  }

  /** Each partition as one array record. */
  glom(): RDD<T[]> {
    return RDD.fromRunner<T[]>(this.numPartitions, (i, emit) => emit(this.#partition(i)));
  }

  /** This RDD's partitions followed by `other`'s. */
  union(other: RDD<T>): RDD<T> {
    if (!(other instanceof RDD)) throw new TypeError(`union(other) expects an RDD; got ${describe(other)}`);
    return RDD.union([this, other]);
  }

  // ---------------------------------------------------------------- shuffles

  /** The distinct records (by value), in order of first appearance, hash-partitioned. */
  distinct(numPartitions?: number): RDD<T> {
    const n = numPartitionsOr(numPartitions, this.numPartitions, "distinct(numPartitions)");
    return RDD.deferred(n, () => distinctPartitions(this, n));
  }

  /** Records sorted by `f(x)` (stable; see `compareKeys`), range-partitioned into contiguous slices. */
  sortBy<K>(f: (x: T) => K, ascending = true, numPartitions?: number): RDD<T> {
    requireFunction(f, "sortBy(f)");
    if (typeof ascending !== "boolean") throw new TypeError(`sortBy(f, ascending) expects a boolean; got ${describe(ascending)}`);
    const n = numPartitionsOr(numPartitions, this.numPartitions, "sortBy(f, ascending, numPartitions)");
    return RDD.deferred(n, () => sortPartitions(this.collect(), f, ascending, n));
  }

  /** The same records in `n` balanced, contiguous partitions (order kept). */
  repartition(n: number): RDD<T> {
    requireNumPartitions(n, "repartition(n)");
    return RDD.deferred(n, () => slicePartitions(this.collect(), n));
  }

  // ---------------------------------------------------------------- actions

  /** Every record, in partition order. */
  collect(): T[] {
    const out: T[] = [];
    const push = (x: T): void => void out.push(x);
    for (let i = 0; i < this.numPartitions; i++) this.forEachInPartition(i, push);
    return out;
  }

  /** Number of records. */
  count(): number {
    const parts = this.#known();
    let n = 0;
    if (parts !== undefined) {
      for (const p of parts) n += p.length;
    } else {
      this.forEachRecord(() => void n++);
    }
    return n;
  }

  /** The first `n` records; stops computing once it has them. */
  take(n: number): T[] {
    return actions.take(this, requireCount(n, "take(n)"));
  }

  /** The first record, or undefined when the RDD is empty. */
  first(): T | undefined {
    return this.take(1)[0];
  }

  /** True when the RDD has no record. */
  isEmpty(): boolean {
    return this.numPartitions === 0 || this.take(1).length === 0;
  }

  /** Combines all records with `f`, left to right; throws a `RangeError` on an empty RDD. */
  reduce(f: (a: T, b: T) => T): T {
    requireFunction(f, "reduce(f)");
    return actions.reduce(this, f);
  }

  /**
   * Folds each partition from a copy of `zero`, then folds the partition results from another copy,
   * as Spark does (so `zero` must be neutral for `f`).
   */
  fold(zero: T, f: (a: T, b: T) => T): T {
    requireFunction(f, "fold(zero, f)");
    return actions.fold(this, zero, f);
  }

  /** Calls `f` on every record, in order. */
  foreach(f: (x: T) => void): void {
    requireFunction(f, "foreach(f)");
    this.forEachRecord(f);
  }

  /** Occurrences of each distinct record (by value), in order of first appearance. */
  countByValue(): Map<T, number> {
    return actions.countBy(this, (x) => x);
  }

  /**
   * Registers the records as the latest rows of table `name` (see `tempTables.register` for how a
   * record becomes a row), queryable with `ssc.sql()`.
   */
  registerTempTable(name: string, columns: string[]): void {
    tempTables.validate(name, columns);
    tempTables.register(name, columns, this.collect());
  }

  // ---------------------------------------------------------------- pair operations (see pair-functions.ts, join.ts)

  /** Merges the values of each key with `f` (map-side combine per partition, then across partitions). */
  reduceByKey<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
    return pairs.reduceByKey(this, f, numPartitions);
  }

  /** The values of each key, in arrival order. */
  groupByKey<K, V>(this: RDD<[K, V]>, numPartitions?: number): RDD<[K, V[]]> {
    return pairs.groupByKey(this, numPartitions);
  }

  /** Spark's generic per-key aggregation: `create` the first value of a key in a partition, `mergeValue` the next ones, `mergeCombiners` across partitions. */
  combineByKey<K, V, C>(this: RDD<[K, V]>, create: (v: V) => C, mergeValue: (c: C, v: V) => C, mergeCombiners: (a: C, b: C) => C, numPartitions?: number): RDD<[K, C]> {
    return pairs.combineByKey(this, create, mergeValue, mergeCombiners, numPartitions);
  }

  /** Folds the values of each key with `f` from a copy of `zero` (per key and partition). */
  foldByKey<K, V>(this: RDD<[K, V]>, zero: V, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
    return pairs.foldByKey(this, zero, f, numPartitions);
  }

  /** Aggregates the values of each key: `seqOp` within a partition from a copy of `zero`, `combOp` across partitions. */
  aggregateByKey<K, V, U>(this: RDD<[K, V]>, zero: U, seqOp: (u: U, v: V) => U, combOp: (a: U, b: U) => U, numPartitions?: number): RDD<[K, U]> {
    return pairs.aggregateByKey(this, zero, seqOp, combOp, numPartitions);
  }

  /** Applies `f` to each value, keeping the key. Lazy, fused. */
  mapValues<K, V, U>(this: RDD<[K, V]>, f: (v: V) => U): RDD<[K, U]> {
    return pairs.mapValues(this, f);
  }

  /** One pair per element of `f(value)`, keeping the key. Lazy, fused. */
  flatMapValues<K, V, U>(this: RDD<[K, V]>, f: (v: V) => Iterable<U>): RDD<[K, U]> {
    return pairs.flatMapValues(this, f);
  }

  /** The key of each pair. Lazy, fused. */
  keys<K, V>(this: RDD<[K, V]>): RDD<K> {
    return pairs.keys(this);
  }

  /** The value of each pair. Lazy, fused. */
  values<K, V>(this: RDD<[K, V]>): RDD<V> {
    return pairs.values(this);
  }

  /** Pairs `[k, [v, w]]` for every v of this and w of `other` under an equal key. */
  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V, W]]> {
    return joins.join(this, other, numPartitions);
  }

  /** As join, keeping keys of this missing from `other` with `w` undefined. */
  leftOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V, W | undefined]]> {
    return joins.leftOuterJoin(this, other, numPartitions);
  }

  /** As join, keeping keys of `other` missing from this with `v` undefined. */
  rightOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V | undefined, W]]> {
    return joins.rightOuterJoin(this, other, numPartitions);
  }

  /** As join, keeping keys missing from either side with that side undefined. */
  fullOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V | undefined, W | undefined]]> {
    return joins.fullOuterJoin(this, other, numPartitions);
  }

  /** For every key of either side, `[k, [values in this, values in other]]`. */
  cogroup<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V[], W[]]]> {
    return joins.cogroup(this, other, numPartitions);
  }

  /** The pairs of this whose key does not occur in `other`, grouped by key. */
  subtractByKey<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, V]> {
    return joins.subtractByKey(this, other, numPartitions);
  }

  /** Number of pairs per key (by value), in order of first appearance. */
  countByKey<K, V>(this: RDD<[K, V]>): Map<K, number> {
    return pairs.countByKey(this);
  }

  /** The pairs as a Map (keys by value; the last value of a key wins). */
  collectAsMap<K, V>(this: RDD<[K, V]>): Map<K, V> {
    return pairs.collectAsMap(this);
  }

  /** Pairs sorted by key (stable; see `compareKeys`), range-partitioned. */
  sortByKey<K, V>(this: RDD<[K, V]>, ascending = true, numPartitions?: number): RDD<[K, V]> {
    return pairs.sortByKey(this, ascending, numPartitions);
  }

  /** Pairs hash-partitioned by key into `numPartitions` partitions, arrival order kept within each. */
  partitionBy<K, V>(this: RDD<[K, V]>, numPartitions: number): RDD<[K, V]> {
    return pairs.partitionBy(this, numPartitions);
  }
}
