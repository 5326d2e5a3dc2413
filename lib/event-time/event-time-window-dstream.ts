import type { BatchInfo, EventTimeInfo } from "../listener.js";
import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, checkFunction, type StateOperator } from "../dstream/internal.js";
import { FixedWindowStore } from "./fixed-windows.js";
import { SessionWindowStore } from "./session-windows.js";
import { WatermarkTracker, type TrackerState, type WatermarkInput } from "./watermark-tracker.js";
import { WatermarkedDStream, type Timed } from "./watermarked-dstream.js";
import { windowKind, type OutputMode, type WindowSpec } from "./window-spec.js";
import type { WindowRow, WindowStore } from "./window-store.js";

/** What the operator produces per batch (one element): its results and the records it found late. */
export interface WindowBatch<K, V> {
  /** Append: the windows finalised by this batch's watermark. Update: the windows that took records. */
  out: WindowRow<K, V>[];
  /** Positions, in the parent's batch, of the records dropped as late. */
  late: number[];
  /** The origins of those records, flattened: `[source, index, source, index, …]` (see Timed). */
  origins: number[];
  /** The watermark the batch used. */
  watermark: number;
}

interface WindowDelta {
  store?: unknown;
  tracker?: TrackerState;
}

interface WindowSnapshot {
  store: unknown;
  tracker: TrackerState;
}

/**
 * `windowedReduceByKey`: reduces the values of each key per event-time window, keeping the open
 * windows as state, committed with every batch.
 *
 * Batch t runs with watermark W (recorded in the batch plan before it runs; see planBatch):
 * records whose window already ended (end ≤ W) are dropped and reported as late; the others are
 * reduced into their windows; "update" emits the windows that took records, "append" the windows
 * W finalises; windows ending at or before W leave the state. Then the batch's event times move
 * the watermark of the next batch.
 */
export class EventTimeWindowDStream<K, V> extends DStream<WindowBatch<K, V>> implements StateOperator {
  private committedThrough: Time | undefined;
  private readonly store: WindowStore<K, V>;
  private readonly tracker = new WatermarkTracker();
  private inputs: { stream: WatermarkedDStream<unknown>; input: WatermarkInput }[] | undefined;
  /** Watermarks of batches about to run, from their plans. */
  private readonly planned = new Map<Time, number>();
  private last: { time: Time; info: EventTimeInfo } | undefined;

  constructor(
    readonly parent: DStream<Timed<[K, V]>>,
    reduce: (a: V, b: V) => V,
    readonly spec: WindowSpec,
    readonly mode: OutputMode,
  ) {
    checkFunction(reduce, "windowedReduceByKey(f, window)");
    super(parent.ssc);
    const update = mode === "update";
    this.store = spec.type === "fixed" ? new FixedWindowStore<K, V>(spec.size, spec.slide, reduce, update) : new SessionWindowStore<K, V>(spec.gap, reduce, update);
    parent.ssc.graph.addStateOperator(this);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  /** Includes the window and mode, so the checkpoint of a different window is a mismatch. */
  override get kind(): string {
    return windowKind(this.spec, this.mode);
  }

  get size(): number {
    return this.store.size;
  }

  /** The watermark of the last batch run; −Infinity before any record. */
  get watermark(): number {
    return this.tracker.watermark;
  }

  /** The scheduler records this in batch `time`'s plan, so a re-run of the batch uses the same. */
  planBatch(time: Time): number | undefined {
    return this.isTimeValid(time) ? this.nextWatermark(time) : undefined;
  }

  /** Batch `time` is about to run with what its plan recorded. */
  beginBatch(time: Time, planned: unknown): void {
    if (typeof planned === "number") this.planned.set(time, planned);
  }

  compute(time: Time): RDD<WindowBatch<K, V>> | undefined {
    // State already holds this batch: computing it again would apply it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    const watermark = this.planned.get(time) ?? this.nextWatermark(time);
    this.planned.delete(time);
    const store = this.store;
    const late: number[] = [];
    const origins: number[] = [];
    let dropped = 0;
    let position = 0;
    this.parent.getOrCompute(time)?.forEachRecord((r) => {
      const kv = r[1];
      if (!Array.isArray(kv)) throw new TypeError(`windowedReduceByKey expects [key, value] records; got ${typeof kv} at position ${position} of batch ${time}`);
      const n = store.add(kv[0] as K, kv[1] as V, r[0], watermark);
      if (n > 0) {
        dropped += n;
        late.push(position);
        origins.push(r[2], r[3]);
      }
      position++;
    });
    const updated = this.mode === "update" ? store.takeUpdated() : [];
    const evicted = store.evict(watermark);
    const out = this.mode === "append" ? evicted : updated;
    this.tracker.use(watermark);
    for (const { stream, input } of this.watermarkInputs()) {
      if (!stream.isTimeValid(time)) continue;
      const { max, count } = stream.batchEventTimes(time);
      this.tracker.observe(input.id, time, max, count);
    }
    this.last = {
      time,
      info: {
        operatorId: this.operatorId,
        watermark: watermark === -Infinity ? undefined : watermark,
        numLateRecords: late.length,
        numRowsDroppedByWatermark: dropped,
        numRowsTotal: store.size,
        numOutputRows: out.length,
      },
    };
    return RDD.fromPartitions([[{ out, late, origins, watermark }]]);
  }

  /** Adds this operator's figures for batch `time` to the batch's listener events. */
  reportBatch(time: Time, info: BatchInfo): void {
    if (this.last?.time === time) (info.eventTime ??= []).push({ ...this.last.info });
  }

  takeDelta(): WindowDelta | undefined {
    const store = this.store.takeDelta();
    const tracker = this.tracker.takeDelta();
    if (store === undefined && tracker === undefined) return undefined;
    const delta: WindowDelta = {};
    if (store !== undefined) delta.store = store;
    if (tracker !== undefined) delta.tracker = tracker;
    return delta;
  }

  snapshot(): WindowSnapshot {
    return { store: this.store.snapshot(), tracker: this.tracker.snapshot() };
  }

  restore(snapshot: unknown, deltas: readonly unknown[], committedThrough: Time): void {
    this.committedThrough = committedThrough;
    const snap = snapshot as WindowSnapshot | undefined;
    const ds = deltas as (WindowDelta | undefined)[];
    this.store.restore(snap?.store, ds.map((d) => d?.store));
    // Each delta holds the tracker's whole (small) state: the newest one wins.
    let tracker = snap?.tracker;
    for (const d of ds) if (d?.tracker !== undefined) tracker = d.tracker;
    this.tracker.restore(tracker, new Set(this.watermarkInputs().map((i) => i.input.id)));
    this.planned.clear();
    this.last = undefined;
  }

  private nextWatermark(time: Time): number {
    return this.tracker.next(
      time,
      this.watermarkInputs().map((i) => i.input),
      this.zeroTime ?? time,
    );
  }

  /**
   * Every watermarked stream upstream, through any operator (map, union, join, transform…): the
   * watermark is the minimum over them.
   */
  private watermarkInputs(): { stream: WatermarkedDStream<unknown>; input: WatermarkInput }[] {
    if (this.inputs !== undefined) return this.inputs;
    const found: WatermarkedDStream<unknown>[] = [];
    const seen = new Set<DStream<unknown>>();
    const todo: DStream<unknown>[] = [this.parent];
    while (todo.length > 0) {
      const s = todo.pop() as DStream<unknown>;
      if (seen.has(s)) continue;
      seen.add(s);
      if (s instanceof WatermarkedDStream) found.push(s);
      todo.push(...s.dependencies);
    }
    found.sort((a, b) => a.id - b.id);
    this.inputs = found.map((stream) => ({ stream, input: { id: stream.operatorId, delay: stream.delay, idleTimeout: stream.idleTimeout } }));
    return this.inputs;
  }
}
