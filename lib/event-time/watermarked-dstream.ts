import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, checkFunction } from "../dstream/internal.js";

/**
 * A record of an event-time stream with what the engine needs to know about it:
 * `[event time (ms), record, id of the watermarked stream it came from, its index in that stream's batch]`.
 * The last two name the original record, so a record dropped as late downstream (after map,
 * flatMap, union…) can be reported by every event-time stream it passed through.
 */
export type Timed<T> = readonly [eventTime: number, value: T, source: number, index: number];

/** Options of `withWatermark`. */
export interface WatermarkOptions {
  /**
   * An input with no records for longer than this (in batch time) stops holding the watermark
   * back, so the other inputs of a union or join move it on (Flink's idleness). It holds it again
   * from its next record. Default: never idle (Spark's behaviour).
   */
  idleTimeout?: Duration;
}

/** The largest event time of one batch of one watermarked stream, and how many records it had. */
export interface BatchEventTimes {
  max: number;
  count: number;
}

/**
 * The root of an event-time stream (`withWatermark`): the parent's records with their event times
 * and origins. Its watermark inputs (`delay`, `idleTimeout`) are read by the window operators below
 * it, which track the event times it has seen and commit them with their state.
 */
export class WatermarkedDStream<T> extends DStream<Timed<T>> {
  readonly delay: Duration;
  readonly idleTimeout: Duration | undefined;

  constructor(
    readonly parent: DStream<T>,
    private readonly eventTime: (record: T) => number,
    delay: Duration,
    options: WatermarkOptions | undefined,
  ) {
    checkFunction(eventTime, "withWatermark(eventTime, delay)");
    if (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0) {
      throw new RangeError(`withWatermark(eventTime, delay): delay must be a non-negative whole number of milliseconds (use Seconds(n)); got ${String(delay)}`);
    }
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError(`withWatermark options must be an object like { idleTimeout: Seconds(30) }; got ${String(options)}`);
    }
    const idle = options?.idleTimeout;
    if (idle !== undefined && (typeof idle !== "number" || !Number.isInteger(idle) || idle <= 0)) {
      throw new RangeError(`withWatermark idleTimeout must be a positive whole number of milliseconds; got ${String(idle)}`);
    }
    super(parent.ssc);
    this.delay = delay;
    this.idleTimeout = idle;
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  override get kind(): string {
    return "WatermarkedDStream";
  }

  compute(time: Time): RDD<Timed<T>> | undefined {
    const rdd = this.parent.getOrCompute(time);
    if (rdd === undefined) return undefined;
    const source = this.id;
    const eventTime = this.eventTime;
    // Computed once (it is read by the records' consumers and by every window's watermark).
    return RDD.deferred(1, () => {
      const out: Timed<T>[] = [];
      rdd.forEachRecord((record) => {
        const t = eventTime(record);
        if (typeof t !== "number" || !Number.isFinite(t)) {
          const hint = (t as unknown) instanceof Date ? " (return date.getTime())" : "";
          throw new TypeError(`withWatermark eventTime(record) must return a finite number of ms since the epoch${hint}; got ${describe(t)} for record #${out.length} of batch ${time} (${describe(record)})`);
        }
        out.push([t, record, source, out.length]);
      });
      return [out];
    });
  }

  /** The largest event time and the number of records in batch `time`; count 0 when none. */
  batchEventTimes(time: Time): BatchEventTimes {
    let max = -Infinity;
    let count = 0;
    this.getOrCompute(time)?.forEachRecord((r) => {
      count++;
      if (r[0] > max) max = r[0];
    });
    return { max, count };
  }
}

function describe(x: unknown): string {
  if (typeof x === "string") return JSON.stringify(x.length > 60 ? x.slice(0, 60) + "…" : x);
  try {
    const s = JSON.stringify(x);
    if (s !== undefined) return s.length > 80 ? s.slice(0, 80) + "…" : s;
  } catch {
    // a cyclic value: fall through
  }
  return String(x);
}
