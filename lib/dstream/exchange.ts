import { ErrorCodes, StreamingError } from "../../errors.js";
import { KeyMap } from "../rdd/key-map.js";
import { HashPartitioner } from "../rdd/partitioner.js";
import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream } from "./internal.js";

/**
 * In a group (DESIGN.md §10) every RDD has the group's P partitions or a multiple of them: RDD
 * partition j holds records of group partition j mod P (a union or a window concatenates several
 * P-partition RDDs). Calls `fn` for every record of group partition `p`, in RDD partition order.
 */
export function forEachInGroupPartition<T>(rdd: RDD<T>, p: number, partitions: number, fn: (x: T) => void): void {
  if (rdd.numPartitions % partitions !== 0) {
    throw new StreamingError(
      ErrorCodes.GROUP_UNSUPPORTED,
      `a group of ${partitions} partitions met an RDD of ${rdd.numPartitions} partitions: an operation changed the partitioning (repartition, or a transform that builds its own RDD); in a group, keep each batch's partitions as the input made them`,
    );
  }
  for (let j = p; j < rdd.numPartitions; j += partitions) rdd.forEachInPartition(j, fn);
}

/**
 * How output operations write a batch (DESIGN.md §10): alone, `write(rdd)` once; in a group, once
 * per partition of the running batch, with that partition's records, so that what a member writes
 * for (partition, batch) is the same whichever member runs it and never mixes with another's.
 */
export async function writePerGroupPartition<T>(ssc: DStream<T>["ssc"], rdd: RDD<T>, write: (part: RDD<T>, partition: number | undefined) => Promise<void>): Promise<void> {
  const group = ssc.groupRuntime;
  if (group === undefined) return write(rdd, undefined);
  for (const p of group.active) {
    // Lost meanwhile (paused past the lease): the new holder writes p, and this member will not
    // commit it. Writing now could come after the sink forgot the new holder's write.
    if (!group.holds(p)) continue;
    const records: T[] = [];
    forEachInGroupPartition(rdd, p, group.partitions, (x) => records.push(x));
    await write(RDD.fromPartitions([records]), p);
  }
}

/** Streams that hold each key in the group partition of its key (no exchange needed before a keyed operator). */
const keyPartitioned = new WeakSet<DStream<unknown>>();

/** Records that `s` holds every key in its key's group partition. Returns `s`. */
export function markKeyPartitioned<S extends DStream<unknown>>(s: S): S {
  keyPartitioned.add(s);
  return s;
}

/** True when `s` holds every key in its key's group partition. */
export function isKeyPartitioned(s: DStream<unknown>): boolean {
  return keyPartitioned.has(s);
}

/** Where an exchange sends a record: the partition of its key, or everything to partition 0 (a global reduction). */
export type ExchangeRoute = "key" | "single";

/**
 * A shuffle between members of a group: batch t of this stream holds, in partition q, every record
 * of the parent's batch t whose key falls in q, from every member (through JetStream, see
 * lib/group/exchange.ts), in source partition order. The group runtime publishes and collects
 * before the batch's jobs run (`accept`); `compute` only reads what was collected. With `combine`,
 * each source partition first reduces its values per key (Spark's map-side combine), so a word
 * count ships one record per distinct word and partition, not one per word.
 *
 * Outside a group this stream is never created: keyed operators shuffle within the process.
 */
export class ExchangeDStream<T> extends DStream<T> {
  /** Per batch time, the collected partitions; `have` says which target partitions are in. */
  private readonly collected = new Map<Time, { parts: T[][]; have: Set<number> }>();

  constructor(
    readonly parent: DStream<T>,
    readonly route: ExchangeRoute,
    private readonly combine?: (a: unknown, b: unknown) => unknown,
  ) {
    super(parent.ssc);
    if (route === "key") markKeyPartitioned(this);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  /** The parent's batches are needed only for the batch being exchanged: history comes from JetStream. */
  protected override get parentRememberDuration(): Duration | undefined {
    return this.slideDuration;
  }

  /** The id of this exchange in JetStream subjects and message ids: stable across members and restarts. */
  get exchangeId(): string {
    return `x${this.operatorId}`;
  }

  /** Source partition `p`'s records of `rdd`, split by target partition (`partitions` lists). */
  split(rdd: RDD<T> | undefined, p: number, partitions: number): T[][] {
    const out: T[][] = Array.from({ length: partitions }, () => []);
    if (rdd === undefined) return out;
    if (this.route === "single") {
      forEachInGroupPartition(rdd, p, partitions, (x) => (out[0] as T[]).push(x));
      return out;
    }
    const partitioner = new HashPartitioner(partitions);
    const combine = this.combine;
    if (combine === undefined) {
      forEachInGroupPartition(rdd, p, partitions, (x) => (out[partitioner.getPartition((x as [unknown, unknown])[0])] as T[]).push(x));
      return out;
    }
    // Map-side combine: keys in order of first appearance, as the in-process reduceByKey.
    const maps = Array.from({ length: partitions }, () => new KeyMap<unknown, unknown>());
    forEachInGroupPartition(rdd, p, partitions, (x) => {
      const [k, v] = x as [unknown, unknown];
      const m = maps[partitioner.getPartition(k)] as KeyMap<unknown, unknown>;
      m.upsert(k, v, (first) => first, (prev, next) => combine(prev, next));
    });
    maps.forEach((m, q) => m.forEach((v, k) => (out[q] as T[]).push([k, v] as T)));
    return out;
  }

  /** True when target partition `q` of batch `time` was collected. */
  has(time: Time, q: number): boolean {
    return this.collected.get(time)?.have.has(q) === true;
  }

  /** Target partition `q` of batch `time`, as collected from every source partition. */
  accept(time: Time, q: number, records: T[], partitions: number): void {
    let entry = this.collected.get(time);
    if (entry === undefined) {
      entry = { parts: Array.from({ length: partitions }, () => []), have: new Set() };
      this.collected.set(time, entry);
    }
    entry.parts[q] = records;
    entry.have.add(q);
  }

  /** Drops what was collected for partition `q` (the member no longer holds it). */
  dropPartition(q: number): void {
    for (const entry of this.collected.values()) {
      entry.parts[q] = [];
      entry.have.delete(q);
    }
  }

  /**
   * Batch `time`, with only the partitions of the running batch: a member catching up on a
   * partition runs batches for it alone, and the other partitions' records, collected when they
   * ran that time, are not this batch's (a window reading back sees each partition's own history).
   */
  compute(time: Time): RDD<T> | undefined {
    const entry = this.collected.get(time);
    if (entry === undefined) return undefined;
    const active = this.ssc.groupRuntime?.active;
    if (active === undefined) return RDD.fromPartitions(entry.parts);
    const parts: T[][] = entry.parts.map(() => []);
    for (const q of active) parts[q] = entry.parts[q] ?? [];
    return RDD.fromPartitions(parts);
  }

  override clearMetadata(time: Time): void {
    const keepAfter = time - (this.rememberDuration ?? this.slideDuration);
    for (const t of this.collected.keys()) if (t <= keepAfter) this.collected.delete(t);
    super.clearMetadata(time);
  }
}
