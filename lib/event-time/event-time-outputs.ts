import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, PerBatchDStream } from "../dstream/internal.js";
import type { EventTimeWindowDStream, WindowBatch } from "./event-time-window-dstream.js";
import type { Timed } from "./watermarked-dstream.js";
import type { EventWindow } from "./window-spec.js";

/**
 * What `windowedReduceByKey` returns: `[key, value, { start, end }]` per window result. Its state
 * lives in the window operator, so `name()` names that operator (binding its checkpointed state).
 */
export class EventTimeWindowedDStream<K, V> extends PerBatchDStream<WindowBatch<K, V>, [K, V, EventWindow]> {
  constructor(readonly windows: EventTimeWindowDStream<K, V>) {
    super(windows, (rdd) => RDD.fromPartitions([rdd.collect().flatMap((b) => b.out)]));
  }

  /** Names the window operator, whose checkpointed state the name binds. */
  override name(uid: string): this {
    this.windows.name(uid);
    return this;
  }
}

/**
 * `lateRecords()` of an event-time stream: its records that a window operator below it dropped as
 * late. For the stream a window was built on, exactly the records it dropped; for a stream further
 * up (before a map, flatMap, union…), the records those were derived from.
 */
export class LateRecordsDStream<T> extends DStream<T> {
  constructor(
    private readonly timed: DStream<Timed<T>>,
    private readonly windowOps: () => readonly EventTimeWindowDStream<unknown, unknown>[],
  ) {
    super(timed.ssc);
  }

  get slideDuration(): Duration {
    return this.timed.slideDuration;
  }

  /** The windows are dependencies too: a window over late records reads their decisions back. */
  get dependencies(): readonly DStream<unknown>[] {
    return [this.timed, ...this.windowOps()];
  }

  compute(time: Time): RDD<T> | undefined {
    const rdd = this.timed.getOrCompute(time);
    if (rdd === undefined) return undefined;
    const positions = new Set<number>();
    const origins = new Set<number>();
    for (const op of this.windowOps()) {
      const batch = op.getOrCompute(time)?.collect()[0];
      if (batch === undefined) continue;
      if (op.parent === this.timed) for (const p of batch.late) positions.add(p);
      else for (let i = 0; i < batch.origins.length; i += 2) origins.add(originKey(batch.origins[i] as number, batch.origins[i + 1] as number));
    }
    if (positions.size === 0 && origins.size === 0) return RDD.empty<T>();
    return RDD.deferred(1, () => {
      const out: T[] = [];
      let position = 0;
      rdd.forEachRecord((r) => {
        if (positions.has(position++) || origins.has(originKey(r[2], r[3]))) out.push(r[1]);
      });
      return [out];
    });
  }
}

/** One number per origin: source ids are small (creation order) and indexes below 2^32. */
function originKey(source: number, index: number): number {
  return source * 2 ** 32 + index;
}
