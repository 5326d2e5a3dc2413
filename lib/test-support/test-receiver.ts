import { Receiver, type ReceiverOptions } from "../receiver/receiver.js";

/** A receiver for tests: counts its starts and stops, and lets the test store through it. */
export class TestReceiver<T> extends Receiver<T> {
  starts = 0;
  stops = 0;
  /** lastStoredOffset() as seen by each onStart. */
  offsetsAtStart: unknown[] = [];
  failStart: unknown;

  constructor(options: ReceiverOptions = {}) {
    super(options);
  }

  onStart(): void {
    if (this.failStart !== undefined) throw this.failStart;
    this.starts++;
    this.offsetsAtStart.push(this.lastStoredOffset());
  }

  onStop(): void {
    this.stops++;
  }
}
