import type { Duration, Time } from "../time.js";

/** One watermarked input of a window operator, as the tracker needs it. */
export interface WatermarkInput {
  /** Stable within a graph: the operator id of the watermarked stream. */
  id: string;
  delay: Duration;
  idleTimeout: Duration | undefined;
}

/** What the tracker remembers of one input: its largest event time, and its last batch with records. */
interface InputMarks {
  max: number;
  lastActive: Time | undefined;
}

/** The tracker's state, as committed (plain data). */
export interface TrackerState {
  watermark: number;
  inputs: [string, InputMarks][];
}

/**
 * The watermark of one window operator (Structured Streaming's WatermarkTracker, made durable).
 *
 * The watermark used in batch t is the minimum, over the operator's watermarked inputs, of
 * `max event time seen up to the previous batch − delay` (Spark's default "min" policy), and never
 * moves backwards. An input that has seen no record holds it back, as in Spark, until it is idle:
 * with `idleTimeout` set, an input without records for longer than that (batch time since its last
 * non-empty batch, or since the start) is left out of the minimum (Flink's idleness). With every
 * input idle the watermark stays where it is.
 *
 * Unlike Spark, the per-input maxima are committed with every batch, so a restart does not hold the
 * watermark back until every input has seen new data.
 */
export class WatermarkTracker {
  private current = -Infinity;
  private readonly inputs = new Map<string, InputMarks>();
  private dirty = false;

  /** The watermark of the last batch run (−Infinity before any). */
  get watermark(): number {
    return this.current;
  }

  /** The watermark batch `time` uses, from the inputs seen by the batches before it. */
  next(time: Time, inputs: readonly WatermarkInput[], zeroTime: Time): number {
    let min = Infinity;
    let active = false;
    for (const input of inputs) {
      const marks = this.inputs.get(input.id);
      if (input.idleTimeout !== undefined && time - (marks?.lastActive ?? zeroTime) > input.idleTimeout) continue;
      active = true;
      min = Math.min(min, (marks?.max ?? -Infinity) - input.delay);
    }
    return active ? Math.max(this.current, min) : this.current;
  }

  /** Batch `time` ran with watermark `w`. */
  use(w: number): void {
    if (w === this.current) return;
    if (w < this.current) throw new Error(`watermark moved back from ${this.current} to ${w}`);
    this.current = w;
    this.dirty = true;
  }

  /** Input `id` had `count` records in batch `time`, the latest at event time `max`. */
  observe(id: string, time: Time, max: number, count: number): void {
    if (count === 0) return;
    const marks = this.inputs.get(id);
    this.inputs.set(id, { max: Math.max(marks?.max ?? -Infinity, max), lastActive: time });
    this.dirty = true;
  }

  /** The whole state when it changed since the last call, else undefined. */
  takeDelta(): TrackerState | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return this.snapshot();
  }

  snapshot(): TrackerState {
    return { watermark: this.current, inputs: Array.from(this.inputs, ([id, m]): [string, InputMarks] => [id, { ...m }]) };
  }

  /** Restores `state`, keeping only the inputs the graph still has (`keep`). */
  restore(state: TrackerState | undefined, keep: ReadonlySet<string>): void {
    this.current = state?.watermark ?? -Infinity;
    this.inputs.clear();
    for (const [id, m] of state?.inputs ?? []) if (keep.has(id)) this.inputs.set(id, { ...m });
    this.dirty = false;
  }
}
