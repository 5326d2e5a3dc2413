import type { Duration } from "../time.js";
import type { DStream } from "../dstream/internal.js";
import { EventTimeDStream } from "./event-time-dstream.js";
import { WatermarkedDStream, type WatermarkOptions } from "./watermarked-dstream.js";

/** `dstream.withWatermark(eventTime, delay, options)`: the records of `parent` with their event times. */
export function withWatermark<T>(parent: DStream<T>, eventTime: (record: T) => number, delay: Duration, options?: WatermarkOptions): EventTimeDStream<T> {
  return new EventTimeDStream<T>(new WatermarkedDStream<T>(parent, eventTime, delay, options), []);
}
