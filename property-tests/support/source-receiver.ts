/**
 * A reliable receiver over a replayable source: the source is a fixed list of chunks, the offset
 * stored with each chunk is the number of chunks stored so far, and after a restart the receiver
 * resumes from `lastStoredOffset()`, as a Kafka or file-tailing receiver would.
 */
import { Receiver } from "../../lib/receiver/receiver.js";

/** A receiver fed by the test: `feedTo(n)` stores chunks up to `n` that are not durable yet. */
export class SourceReceiver<T> extends Receiver<T> {
  /** lastStoredOffset() as each onStart saw it. */
  readonly resumedFrom: number[] = [];

  constructor(private readonly chunks: readonly (readonly T[])[]) {
    super({ name: "SourceReceiver" });
  }

  onStart(): void {
    this.resumedFrom.push(this.position());
  }

  onStop(): void {}

  /** Chunks already durable (the offset stored with the last block). */
  position(): number {
    const offset = this.lastStoredOffset();
    return typeof offset === "number" ? offset : 0;
  }

  /** Stores every chunk from the durable position up to (not including) chunk `end`, one block each. */
  async feedTo(end: number): Promise<void> {
    for (let c = this.position(); c < Math.min(end, this.chunks.length); c++) await this.storeMany([...this.chunks[c]!], { offset: c + 1 });
  }
}
