import type { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, PerBatchDStream, UnionDStream, checkFunction } from "../dstream/internal.js";
import { EventTimeWindowDStream } from "./event-time-window-dstream.js";
import { EventTimeWindowedDStream, LateRecordsDStream } from "./event-time-outputs.js";
import type { Timed } from "./watermarked-dstream.js";
import { parseMode, parseWindow, type EventWindow, type WindowOption, type WindowedReduceOptions } from "./window-spec.js";

/**
 * A stream whose records carry an event time (from `withWatermark`). It is a DStream of its
 * records like any other; on top, `windowedReduceByKey` windows them by event time and
 * `lateRecords()` gives the records found behind the watermark.
 *
 * `map`, `flatMap`, `filter`, `mapValues`, `flatMapValues` and `union` with another event-time
 * stream keep each record's event time, so they return event-time streams too; every other
 * operation returns a plain DStream (call `withWatermark` on it to window it by event time again).
 */
export class EventTimeDStream<T> extends DStream<T> {
  private readonly windowOps: EventTimeWindowDStream<unknown, unknown>[] = [];
  private late: LateRecordsDStream<T> | undefined;

  /**
   * @param timed the records with their event times and origins
   * @param lineage the event-time streams this one is derived from, which also report its late records
   */
  constructor(
    readonly timed: DStream<Timed<T>>,
    private readonly lineage: readonly EventTimeDStream<unknown>[],
  ) {
    super(timed.ssc);
  }

  get slideDuration(): Duration {
    return this.timed.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.timed];
  }

  compute(time: Time): RDD<T> | undefined {
    return this.timed.getOrCompute(time)?.map((r) => r[1]);
  }

  override map<U>(f: (x: T) => U): EventTimeDStream<U> {
    checkFunction(f, "map(f)");
    return this.derive((rdd) => rdd.map((r): Timed<U> => [r[0], f(r[1]), r[2], r[3]]));
  }

  override flatMap<U>(f: (x: T) => Iterable<U>): EventTimeDStream<U> {
    checkFunction(f, "flatMap(f)");
    return this.derive((rdd) =>
      rdd.flatMap((r) => {
        const out: Timed<U>[] = [];
        for (const u of f(r[1])) out.push([r[0], u, r[2], r[3]]);
        return out;
      }),
    );
  }

  override filter(f: (x: T) => boolean): EventTimeDStream<T> {
    checkFunction(f, "filter(f)");
    return this.derive((rdd) => rdd.filter((r) => f(r[1])));
  }

  override mapValues<K, V, U>(this: EventTimeDStream<[K, V]>, f: (v: V) => U): EventTimeDStream<[K, U]> {
    checkFunction(f, "mapValues(f)");
    return this.map((kv): [K, U] => [kv[0], f(kv[1])]);
  }

  override flatMapValues<K, V, U>(this: EventTimeDStream<[K, V]>, f: (v: V) => Iterable<U>): EventTimeDStream<[K, U]> {
    checkFunction(f, "flatMapValues(f)");
    return this.flatMap((kv) => Array.from(f(kv[1]), (u): [K, U] => [kv[0], u]));
  }

  /** With another event-time stream: an event-time stream whose watermark is the minimum of both. */
  override union(other: EventTimeDStream<T>): EventTimeDStream<T>;
  override union(other: DStream<T>): DStream<T>;
  override union(other: DStream<T>): DStream<T> {
    if (!(other instanceof EventTimeDStream)) return super.union(other);
    return new EventTimeDStream<T>(new UnionDStream([this.timed, other.timed]), [this, other as EventTimeDStream<unknown>]);
  }

  /**
   * Reduces the values of each key per event-time window: tumbling (`{ size }`), sliding
   * (`{ size, slide }`, aligned to the epoch as Spark's `window()`) or session (`{ gap }`).
   * "append" (default) emits each window once, when the watermark passes its end; "update" emits
   * every window that took records in the batch. Records whose window has already been finalised
   * go to `lateRecords()` and never change an emitted result. Stateful: needs a checkpoint
   * directory; `name()` on the result binds its state.
   */
  windowedReduceByKey<K, V>(this: EventTimeDStream<[K, V]>, f: (a: V, b: V) => V, window: WindowOption, options?: WindowedReduceOptions): DStream<[K, V, EventWindow]> {
    checkFunction(f, "windowedReduceByKey(f, window)");
    const spec = parseWindow(window);
    const mode = parseMode(options);
    const op = new EventTimeWindowDStream<K, V>(this.timed, f, spec, mode);
    this.register(op as EventTimeWindowDStream<unknown, unknown>);
    return new EventTimeWindowedDStream(op);
  }

  /** The records of this stream that a window below it dropped as late, batch by batch. */
  lateRecords(): DStream<T> {
    this.late ??= new LateRecordsDStream<T>(this.timed, () => this.windowOps);
    return this.late;
  }

  /** A window operator built on this stream or one derived from it: it reports late records here too. */
  private register(op: EventTimeWindowDStream<unknown, unknown>): void {
    if (this.windowOps.includes(op)) return;
    this.windowOps.push(op);
    for (const parent of this.lineage) parent.register(op);
  }

  private derive<U>(fn: (rdd: RDD<Timed<T>>) => RDD<Timed<U>>): EventTimeDStream<U> {
    return new EventTimeDStream<U>(new PerBatchDStream(this.timed, fn), [this as EventTimeDStream<unknown>]);
  }
}
