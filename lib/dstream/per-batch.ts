import { RDD } from "../rdd/rdd.js";
import { requireNumPartitions } from "../rdd/validate.js";
import type { Duration, Time } from "../time.js";
import { DStream, checkFunction } from "./internal.js";

/**
 * A stream whose RDD at each time is a function of its parent's RDD at that time. The RDD
 * operations are lazy and fused, so a chain of these costs one pass over each batch.
 */
export class PerBatchDStream<T, U> extends DStream<U> {
  constructor(
    readonly parent: DStream<T>,
    private readonly fn: (rdd: RDD<T>) => RDD<U>,
  ) {
    super(parent.ssc);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  compute(time: Time): RDD<U> | undefined {
    const rdd = this.parent.getOrCompute(time);
    return rdd === undefined ? undefined : this.fn(rdd);
  }
}

/** `map`. */
export class MappedDStream<T, U> extends PerBatchDStream<T, U> {
  constructor(parent: DStream<T>, f: (x: T) => U) {
    checkFunction(f, "map(f)");
    super(parent, (rdd) => rdd.map(f));
  }
}

/** `flatMap`. */
export class FlatMappedDStream<T, U> extends PerBatchDStream<T, U> {
  constructor(parent: DStream<T>, f: (x: T) => Iterable<U>) {
    checkFunction(f, "flatMap(f)");
    super(parent, (rdd) => rdd.flatMap(f));
  }
}

/** `filter`. */
export class FilteredDStream<T> extends PerBatchDStream<T, T> {
  constructor(parent: DStream<T>, f: (x: T) => boolean) {
    checkFunction(f, "filter(f)");
    super(parent, (rdd) => rdd.filter(f));
  }
}

/** `mapPartitions`. */
export class MapPartitionedDStream<T, U> extends PerBatchDStream<T, U> {
  constructor(parent: DStream<T>, f: (it: Iterable<T>, index: number) => Iterable<U>) {
    checkFunction(f, "mapPartitions(f)");
    super(parent, (rdd) => rdd.mapPartitions(f));
  }
}

/** `glom`. */
export class GlommedDStream<T> extends PerBatchDStream<T, T[]> {
  constructor(parent: DStream<T>) {
    super(parent, (rdd) => rdd.glom());
  }
}

/** `repartition`. */
export class RepartitionedDStream<T> extends PerBatchDStream<T, T> {
  constructor(parent: DStream<T>, numPartitions: number) {
    requireNumPartitions(numPartitions, "repartition(numPartitions)");
    super(parent, (rdd) => rdd.repartition(numPartitions));
  }
}

/** `count`: one record per batch, 0 for an empty batch. */
export class CountedDStream<T> extends PerBatchDStream<T, number> {
  constructor(parent: DStream<T>) {
    super(parent, (rdd) => RDD.fromPartitions([[rdd.count()]]));
  }
}

/** `reduce`: one record per non-empty batch, nothing for an empty one. */
export class ReducedDStream<T> extends PerBatchDStream<T, T> {
  constructor(parent: DStream<T>, f: (a: T, b: T) => T) {
    checkFunction(f, "reduce(f)");
    super(parent, (rdd) => {
      let seen = false;
      let acc: T | undefined;
      rdd.forEachRecord((x) => {
        acc = seen ? f(acc as T, x) : x;
        seen = true;
      });
      return seen ? RDD.fromPartitions([[acc as T]]) : RDD.empty<T>();
    });
  }
}

/** A per-batch pair operation (reduceByKey, groupByKey, combineByKey, mapValues, …). */
export class ShuffledDStream<T, U> extends PerBatchDStream<T, U> {}
