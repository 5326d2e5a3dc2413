import { GraphError, ErrorCodes } from "../../errors.js";
import { RDD } from "../rdd/rdd.js";
import { requirePositiveDuration, type Duration, type Time } from "../time.js";
import type { StreamingContext } from "../streaming-context.js";
import { saveToJetStream } from "../sinks/jetstream/save-to-jetstream.js";
import type { JetStreamSinkOptions } from "../sinks/jetstream/jetstream-sink-options.js";
import { saveToPostgres } from "../sinks/postgres/save-to-postgres.js";
import type { PostgresSinkOptions } from "../sinks/postgres/postgres-options.js";
import {
  CountedDStream,
  ExchangeDStream,
  FilteredDStream,
  PerBatchDStream,
  isKeyPartitioned,
  markKeyPartitioned,
  FlatMappedDStream,
  ForEachDStream,
  GlommedDStream,
  MapPartitionedDStream,
  MappedDStream,
  ReducedDStream,
  RepartitionedDStream,
  TransformedDStream,
  UnionDStream,
  WindowedDStream,
  checkWindow,
  pairFunctions as pair,
  saveAsTextFiles,
  printStream,
  type StateSpec,
  type MapWithStateDStream,
  eventTimeFunctions,
  type EventTimeDStream,
  type WatermarkOptions,
} from "./internal.js";

/** The function of a `foreachRDD` output operation; it may be async. */
export type ForeachFunction<T> = (rdd: RDD<T>, time: Time) => void | Promise<void>;

/**
 * A discretized stream: one RDD per batch time. Subclasses implement `slideDuration`,
 * `dependencies` and `compute(time)`; this class caches generated RDDs per time, forgets those
 * older than the remember duration, and offers the operations of Spark's DStream.
 */
export abstract class DStream<T> {
  /** The context this stream belongs to. */
  readonly ssc: StreamingContext;
  /** Position in creation order within the context; the default stable operator id. */
  readonly id: number;
  private uid: string | undefined;
  /** Streams the operation that made this one created along the way (see DStreamGraph.composite). */
  private parts: readonly DStream<unknown>[] = [];
  private zero: Time | undefined;
  private remembered: Duration | undefined;
  private readonly generated = new Map<Time, RDD<T>>();
  /** Set when the stream's RDDs are read more than once (windows): they are materialized once. */
  private cacheRdds = false;

  constructor(ssc: StreamingContext) {
    this.ssc = ssc;
    this.id = ssc.graph.register(this);
  }

  /** Time between two RDDs of this stream. */
  abstract get slideDuration(): Duration;
  /** The streams this one is computed from. */
  abstract get dependencies(): readonly DStream<unknown>[];
  /** Builds the RDD of `time`; undefined when the stream has none for that time. */
  abstract compute(time: Time): RDD<T> | undefined;

  /** A short kind name for graph fingerprints and messages, e.g. "MappedDStream". */
  get kind(): string {
    return this.constructor.name;
  }

  /** The operator id used to bind checkpointed data: the `name()` given, or the creation order. */
  get operatorId(): string {
    return this.uid ?? String(this.id);
  }

  /**
   * Gives this operator a stable id, so that its checkpointed state survives code changes that add
   * or remove other operators before it. The streams the operation created along the way (the
   * internal stream of mapWithState that holds the state, the windowed reduction inside
   * reduceByWindow…) are named `uid/0`, `uid/1`… in their creation order, so the name binds the
   * state wherever it is held.
   */
  name(uid: string): this {
    if (typeof uid !== "string" || uid.length === 0) {
      throw new TypeError(`name(uid) expects a non-empty string; got ${String(uid)}`);
    }
    const graph = this.ssc.graph;
    graph.checkNotStarted("name an operator");
    graph.claimName(uid, this);
    this.parts.forEach((part, i) => graph.claimName(`${uid}/${i}`, part));
    this.uid = uid;
    this.parts.forEach((part, i) => (part.uid = `${uid}/${i}`));
    return this;
  }

  /** Records the streams an operation created to build this one; `name()` names them too. */
  adoptParts(parts: readonly DStream<unknown>[]): void {
    this.parts = parts;
  }

  /** The zero time of the graph, once it has started. */
  get zeroTime(): Time | undefined {
    return this.zero;
  }

  /** How long generated RDDs are kept. */
  get rememberDuration(): Duration | undefined {
    return this.remembered;
  }

  /** How long the parents must keep their RDDs for this stream; windows widen it. */
  protected get parentRememberDuration(): Duration | undefined {
    return this.remembered;
  }

  /** Sets the zero time here and in every dependency (Spark's `initialize`). */
  initialize(zeroTime: Time): void {
    if (this.zero !== undefined && this.zero !== zeroTime) {
      throw new GraphError(ErrorCodes.GRAPH_INVALID, `${this.kind} ${this.operatorId} was initialized with zero time ${this.zero}, then ${zeroTime}`);
    }
    this.zero = zeroTime;
    if (this.remembered === undefined || this.remembered < this.slideDuration) this.remembered = this.slideDuration;
    for (const dep of this.dependencies) dep.initialize(zeroTime);
  }

  /** Keeps RDDs for at least `duration`, here and (widened as needed) in the dependencies. */
  remember(duration: Duration | undefined): void {
    if (duration !== undefined && (this.remembered === undefined || duration > this.remembered)) this.remembered = duration;
    for (const dep of this.dependencies) dep.remember(this.parentRememberDuration);
  }

  /** Marks the RDDs of this stream to be materialized once, because they are read repeatedly. */
  markCached(): void {
    this.cacheRdds = true;
  }

  /** Checks, at start, what can only be checked once the graph is complete. */
  validateAtStart(): void {
    if (this.zero === undefined) {
      throw new GraphError(ErrorCodes.GRAPH_INVALID, `${this.kind} ${this.operatorId} has not been initialized; is it connected to an output operation?`);
    }
    for (const dep of this.dependencies) dep.validateAtStart();
  }

  /** True when `time` is on this stream's grid and after the zero time. */
  isTimeValid(time: Time): boolean {
    if (this.zero === undefined) return false;
    return time > this.zero && (time - this.zero) % this.slideDuration === 0;
  }

  /** The RDD of `time`, computed at most once and cached until it is older than the remember duration. */
  getOrCompute(time: Time): RDD<T> | undefined {
    const cached = this.generated.get(time);
    if (cached !== undefined) return cached;
    if (!this.isTimeValid(time)) return undefined;
    const rdd = this.compute(time);
    if (rdd === undefined) return undefined;
    if (this.cacheRdds) rdd.cache();
    this.generated.set(time, rdd);
    return rdd;
  }

  /**
   * Puts the RDD of `time` in the cache, where getOrCompute finds it: an input's materialized
   * batch, or (recovery) an output kept in the checkpoint.
   */
  provideRdd(time: Time, rdd: RDD<T>): void {
    this.generated.set(time, rdd);
  }

  /** Forgets every generated RDD of this stream (see DStreamGraph.forgetGenerated). */
  forgetGenerated(): void {
    this.generated.clear();
  }

  /** Forgets RDDs older than the remember duration, here and in the dependencies. */
  clearMetadata(time: Time): void {
    const keepAfter = time - (this.remembered ?? this.slideDuration);
    for (const t of this.generated.keys()) if (t <= keepAfter) this.generated.delete(t);
    for (const dep of this.dependencies) dep.clearMetadata(time);
  }

  /** The RDDs of this stream with times in [from, to], on its own grid (Spark's `slice`). */
  slice(from: Time, to: Time): RDD<T>[] {
    if (this.zero === undefined) {
      throw new GraphError(ErrorCodes.CONTEXT_STATE, `slice() needs a started context: ${this.kind} ${this.operatorId} has no zero time yet`);
    }
    const zero = this.zero;
    const slide = this.slideDuration;
    const align = (t: Time): Time => t - (((t - zero) % slide) + slide) % slide;
    const out: RDD<T>[] = [];
    for (let t = align(from); t <= align(to); t += slide) {
      if (t < zero) continue;
      const rdd = this.getOrCompute(t);
      if (rdd !== undefined) out.push(rdd);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Transformations
  // ---------------------------------------------------------------------------------------------

  /** Applies `f` to every record. */
  map<U>(f: (x: T) => U): DStream<U> {
    return new MappedDStream(this, f);
  }

  /** Applies `f` to every record and flattens the iterables it returns. */
  flatMap<U>(f: (x: T) => Iterable<U>): DStream<U> {
    return new FlatMappedDStream(this, f);
  }

  /** Keeps the records for which `f` is true. */
  filter(f: (x: T) => boolean): DStream<T> {
    const out = new FilteredDStream(this, f);
    return isKeyPartitioned(this) ? markKeyPartitioned(out) : out;
  }

  /** Applies `f` to each partition of each batch. */
  mapPartitions<U>(f: (it: Iterable<T>, index: number) => Iterable<U>): DStream<U> {
    return new MapPartitionedDStream(this, f);
  }

  /** Turns each partition into one array record. */
  glom(): DStream<T[]> {
    return new GlommedDStream(this);
  }

  /** Redistributes each batch into `numPartitions` partitions. */
  repartition(numPartitions: number): DStream<T> {
    return new RepartitionedDStream(this, numPartitions);
  }

  /** The records of this stream and `other`, batch by batch. */
  union(other: DStream<T>): DStream<T> {
    return new UnionDStream([this, other]);
  }

  /** The number of records of each batch; 0 for an empty batch. */
  count(): DStream<number> {
    // In a group, every partition's count goes to partition 0's member, which adds them up.
    if (this.ssc.groupOptions !== undefined) return this.ssc.graph.composite(() => gathered(this.mapPartitions((it) => [countOf(it)]), add));
    return new CountedDStream(this);
  }

  /** `[value, count]` of each distinct value of each batch. */
  countByValue(numPartitions?: number): DStream<[T, number]> {
    return this.ssc.graph.composite(() => pair.reduceByKey(this.map((x): [T, number] => [x, 1]), add, numPartitions));
  }

  /** One record per non-empty batch: the reduction of its records. */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    // In a group, every partition's reduction goes to partition 0's member, which reduces them.
    if (this.ssc.groupOptions !== undefined) {
      checkFunction(f, "reduce(f)");
      return this.ssc.graph.composite(() => gathered(this.mapPartitions((it) => reducePartition(it, f)), f));
    }
    return new ReducedDStream(this, f);
  }

  /** Applies an RDD-to-RDD function to each batch. */
  transform<U>(fn: (rdd: RDD<T>, time: Time) => RDD<U>): DStream<U> {
    checkFunction(fn, "transform(fn)");
    return new TransformedDStream<U>([this], (rdds, time) => fn(rdds[0] as RDD<T>, time));
  }

  /** Applies a function of this stream's and `other`'s RDDs to each batch. */
  transformWith<U, V>(other: DStream<U>, fn: (a: RDD<T>, b: RDD<U>, time: Time) => RDD<V>): DStream<V> {
    checkFunction(fn, "transformWith(other, fn)");
    return new TransformedDStream<V>([this, other], (rdds, time) => fn(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time));
  }

  /** Every record of the last `windowDuration`, every `slideDuration` (default: this stream's slide). */
  window(windowDuration: Duration, slideDuration: Duration = this.slideDuration): DStream<T> {
    const out = new WindowedDStream(this, windowDuration, slideDuration);
    // A window moves no record between partitions.
    return isKeyPartitioned(this) ? markKeyPartitioned(out) : out;
  }

  /** Reduces the records of each window; with `invF`, incrementally (needs a checkpoint directory). */
  reduceByWindow(f: (a: T, b: T) => T, windowDuration: Duration, slideDuration: Duration): DStream<T>;
  reduceByWindow(f: (a: T, b: T) => T, invF: (a: T, b: T) => T, windowDuration: Duration, slideDuration: Duration): DStream<T>;
  reduceByWindow(f: (a: T, b: T) => T, a: ((a: T, b: T) => T) | Duration, b?: Duration, c?: Duration): DStream<T> {
    checkFunction(f, "reduceByWindow(f, …)");
    // Validate before creating the intermediate streams: a rejected call must leave no operator behind.
    if (typeof a === "function") {
      const slide = c ?? this.slideDuration;
      checkWindow(this, requirePositiveDuration(b, "windowDuration"), slide);
      return this.ssc.graph.composite(() => pair.reduceByKeyAndWindow(this.map((x): [number, T] => [1, x]), f, a, b as Duration, slide, 1).map((kv) => kv[1]));
    }
    const windowDuration = requirePositiveDuration(a, "windowDuration");
    checkWindow(this, windowDuration, b ?? this.slideDuration);
    return this.ssc.graph.composite(() => this.reduce(f).window(windowDuration, b ?? this.slideDuration).reduce(f));
  }

  /** The number of records in each window (incremental; needs a checkpoint directory). */
  countByWindow(windowDuration: Duration, slideDuration: Duration = this.slideDuration): DStream<number> {
    checkWindow(this, windowDuration, slideDuration);
    return this.ssc.graph.composite(() => this.map(() => 1).reduceByWindow(add, subtract, windowDuration, slideDuration));
  }

  /** `[value, count]` of each value in each window, zero counts dropped (needs a checkpoint directory). */
  countByValueAndWindow(windowDuration: Duration, slideDuration: Duration = this.slideDuration, numPartitions?: number): DStream<[T, number]> {
    checkWindow(this, windowDuration, slideDuration);
    return this.ssc.graph.composite(() =>
      pair.reduceByKeyAndWindow(this.map((x): [T, number] => [x, 1]), add, subtract, windowDuration, slideDuration, numPartitions, (kv) => kv[1] !== 0),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Pair operations (on DStream<[K, V]>); implemented in pair-functions.ts, as Spark's
  // PairDStreamFunctions.
  // ---------------------------------------------------------------------------------------------

  /** `[key, values]` of each batch. */
  groupByKey<K, V>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V[]]> {
    return pair.groupByKey(this, numPartitions);
  }

  /** `[key, reduced value]` of each batch. */
  reduceByKey<K, V>(this: DStream<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]> {
    return pair.reduceByKey(this, f, numPartitions);
  }

  /** Combines the values of each key of each batch (Spark's combineByKey). */
  combineByKey<K, V, C>(this: DStream<[K, V]>, create: (v: V) => C, mergeValue: (c: C, v: V) => C, mergeCombiners: (a: C, b: C) => C, numPartitions?: number): DStream<[K, C]> {
    return pair.combineByKey(this, create, mergeValue, mergeCombiners, numPartitions);
  }

  /** Applies `f` to each value, keeping the key. */
  mapValues<K, V, U>(this: DStream<[K, V]>, f: (v: V) => U): DStream<[K, U]> {
    return pair.mapValues(this, f);
  }

  /** Applies `f` to each value and flattens, keeping the key. */
  flatMapValues<K, V, U>(this: DStream<[K, V]>, f: (v: V) => Iterable<U>): DStream<[K, U]> {
    return pair.flatMapValues(this, f);
  }

  /** `[key, values]` over each window. */
  groupByKeyAndWindow<K, V>(this: DStream<[K, V]>, windowDuration: Duration, slideDuration?: Duration, numPartitions?: number): DStream<[K, V[]]> {
    return this.ssc.graph.composite(() => pair.groupByKeyAndWindow(this, windowDuration, slideDuration ?? this.slideDuration, numPartitions));
  }

  /**
   * `[key, reduced value]` over each window. With an inverse function `invF` the window is updated
   * incrementally (keys stay, at their zero value, unless `filterFunc` drops them); that form is
   * stateful and needs a checkpoint directory.
   */
  reduceByKeyAndWindow<K, V>(this: DStream<[K, V]>, f: (a: V, b: V) => V, windowDuration: Duration, slideDuration?: Duration, numPartitions?: number): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    invF: (a: V, b: V) => V,
    windowDuration: Duration,
    slideDuration?: Duration,
    options?: { filterFunc?: (kv: [K, V]) => boolean; numPartitions?: number },
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    a: ((a: V, b: V) => V) | Duration,
    b?: Duration,
    c?: Duration | { filterFunc?: (kv: [K, V]) => boolean; numPartitions?: number },
    d?: { filterFunc?: (kv: [K, V]) => boolean; numPartitions?: number },
  ): DStream<[K, V]> {
    if (typeof a === "function") {
      const slide = typeof c === "number" ? c : this.slideDuration;
      const options = (typeof c === "object" ? c : d) ?? {};
      return this.ssc.graph.composite(() => pair.reduceByKeyAndWindow(this, f, a, requirePositiveDuration(b, "windowDuration"), slide, options.numPartitions, options.filterFunc));
    }
    return this.ssc.graph.composite(() => pair.reduceByKeyAndWindow(this, f, undefined, a, b ?? this.slideDuration, typeof c === "number" ? c : undefined));
  }

  /** Keeps per-key state across batches; `update` returning undefined removes the key. */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    update: (values: V[], state: S | undefined, key: K, time: Time) => S | undefined,
    options?: { initial?: Iterable<[K, S]> | RDD<[K, S]>; numPartitions?: number },
  ): DStream<[K, S]> {
    return this.ssc.graph.composite(() => pair.updateStateByKey(this, update, options));
  }

  /** Calls the spec's function once per record with the key's state; see StateSpec. */
  mapWithState<K, V, S, M>(this: DStream<[K, V]>, spec: StateSpec<K, V, S, M>): MapWithStateDStream<K, V, S, M> {
    return this.ssc.graph.composite(() => pair.mapWithState(this, spec));
  }

  /** Inner join of each batch with the same batch of `other`. */
  join<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V, W]]> {
    return pair.join(this, other, numPartitions);
  }

  /** Left outer join, batch by batch. */
  leftOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V, W | undefined]]> {
    return pair.leftOuterJoin(this, other, numPartitions);
  }

  /** Right outer join, batch by batch. */
  rightOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V | undefined, W]]> {
    return pair.rightOuterJoin(this, other, numPartitions);
  }

  /** Full outer join, batch by batch. */
  fullOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V | undefined, W | undefined]]> {
    return pair.fullOuterJoin(this, other, numPartitions);
  }

  /** `[key, [values here, values in other]]`, batch by batch. */
  cogroup<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: number): DStream<[K, [V[], W[]]]> {
    return pair.cogroup(this, other, numPartitions);
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpointing and output operations
  // ---------------------------------------------------------------------------------------------

  /**
   * Spark checkpoints a stream's RDDs every `interval`. dstream commits every batch, so this only
   * checks the interval (a positive multiple of the slide) and keeps RDDs for twice the interval.
   */
  checkpoint(interval: Duration): this {
    requirePositiveDuration(interval, "checkpoint(interval)");
    this.ssc.graph.checkNotStarted("set a checkpoint interval");
    if (interval % this.slideDuration !== 0) {
      throw new GraphError(ErrorCodes.GRAPH_INVALID, `checkpoint interval ${interval} ms must be a multiple of the slide duration ${this.slideDuration} ms of ${this.kind} ${this.operatorId}`);
    }
    this.remember(2 * interval);
    return this;
  }

  /** Runs `fn` on every batch's RDD. At-least-once: after a crash it may run again for the batch in flight. */
  foreachRDD(fn: ForeachFunction<T>): void {
    checkFunction(fn, "foreachRDD(fn)");
    new ForEachDStream(this, fn, "foreachRDD");
  }

  /** Prints the first `num` records of each batch under Spark's header. */
  print(num = 10): void {
    printStream(this, num);
  }

  /** Writes each batch to `${prefix}-${time}[.${suffix}]`, one record per line; exactly-once. */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    saveAsTextFiles(this, prefix, suffix);
  }

  /**
   * Writes each batch's records as rows of a PostgreSQL table, with a ledger row (sink id, batch
   * time) in the same transaction: exactly-once (lib/sinks/postgres/).
   */
  saveToPostgres(options: PostgresSinkOptions): void {
    saveToPostgres(this, options);
  }

  /**
   * Publishes each record to JetStream with `Nats-Msg-Id` `${sinkId}:${batchTime}:${index}`, so a
   * re-run batch is deduplicated by the stream: exactly-once (lib/sinks/jetstream/).
   */
  saveToJetStream(options: JetStreamSinkOptions<T>): void {
    saveToJetStream(this, options);
  }

  // ---------------------------------------------------------------------------------------------
  // Event time (lib/event-time/)
  // ---------------------------------------------------------------------------------------------

  /**
   * This stream's records with their event times (`eventTime(record)`, ms since the epoch) and a
   * watermark: batch t uses `max event time seen up to batch t−1 − delay`, recorded in its plan.
   * Window them with `windowedReduceByKey`; records behind the watermark go to `lateRecords()`.
   */
  withWatermark(eventTime: (record: T) => number, delay: Duration, options?: WatermarkOptions): EventTimeDStream<T> {
    return eventTimeFunctions.withWatermark(this, eventTime, delay, options);
  }
}

/** Throws a TypeError unless `fn` is a function; `what` names the call in the message. */
export function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what} expects a function; got ${fn === null ? "null" : typeof fn}`);
}

function add(a: number, b: number): number {
  return a + b;
}

function subtract(a: number, b: number): number {
  return a - b;
}

function countOf(it: Iterable<unknown>): number {
  let n = 0;
  for (const _ of it) n++;
  return n;
}

/** The reduction of one partition: one record, or none when the partition is empty. */
function reducePartition<T>(it: Iterable<T>, f: (a: T, b: T) => T): T[] {
  let seen = false;
  let acc: T | undefined;
  for (const x of it) {
    acc = seen ? f(acc as T, x) : x;
    seen = true;
  }
  return seen ? [acc as T] : [];
}

/**
 * In a group: the partial results of every partition (`partials`, one record or none per
 * partition) sent to partition 0 (a JetStream exchange) and reduced there with `f`. The result
 * has the group's partitions, its record in partition 0, so that sinks write it once.
 */
function gathered<T>(partials: DStream<T>, f: (a: T, b: T) => T): DStream<T> {
  const reduced = new ReducedDStream(new ExchangeDStream(partials, "single"), f);
  const ssc = partials.ssc;
  return new PerBatchDStream(reduced, (rdd) => {
    const parts: T[][] = Array.from({ length: ssc.groupPartitions ?? 1 }, () => []);
    parts[0] = rdd.collect();
    return RDD.fromPartitions(parts);
  });
}
