/**
 * The seed's DummySource, as a *reliable* receiver: line `i` is a pure function of `i` (a seeded
 * hash picks the digit), each block is stored with `storeMany(lines, { offset })` where the offset
 * is the number of the next line, and after a restart the receiver resumes from
 * `lastStoredOffset()`. So after `kill -9` the lines that were acknowledged are in the WAL, the
 * ones that were not are generated again, identically, and none is lost or counted twice.
 */
import { StreamingError } from "../../errors.js";
import { describe } from "../rdd/validate.js";
import { Receiver } from "../receiver/receiver.js";

/** The digit of line `i` (0-9): a 32-bit integer hash of `i` and `seed`, stable across runs. */
export function dummyDigit(i: number, seed = 1): number {
  let h = (Math.floor(i / 0x1_0000_0000) ^ (i >>> 0) ^ Math.imul(seed, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 10;
}

/** Line `i` of the dummy source: `I am a dummy source N`. */
export function dummyLine(i: number, seed = 1): string {
  return `I am a dummy source ${dummyDigit(i, seed)}`;
}

/** Options of {@link DummySource}. */
export interface DummySourceOptions {
  /** Seed of the digit hash; default 1. */
  seed?: number;
  /** How often a block is stored, in ms of wall-clock time; default 100. */
  tickMs?: number;
}

/** Writes `eventsPerSecond` lines a second, resuming after a restart where the WAL left off. */
export class DummySource extends Receiver<string> {
  private readonly seed: number;
  private readonly tickMs: number;
  /** Bumped on every start and stop, so a loop from an earlier start ends. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly eventsPerSecond = 1000,
    options: DummySourceOptions = {},
  ) {
    super({ name: "DummySource" });
    if (typeof eventsPerSecond !== "number") throw new TypeError(`DummySource(eventsPerSecond) expects a number of lines per second; got ${describe(eventsPerSecond)}`);
    if (!(eventsPerSecond > 0)) throw new RangeError(`DummySource(eventsPerSecond) expects a positive number of lines per second; got ${eventsPerSecond}`);
    this.seed = options.seed ?? 1;
    this.tickMs = options.tickMs ?? 100;
  }

  onStart(): void {
    const generation = ++this.generation;
    // The offset of a block is the number of the next line: resume there.
    const from = Number(this.lastStoredOffset() ?? 0);
    void this.run(generation, from);
  }

  onStop(): void {
    this.generation++;
    clearTimeout(this.timer);
  }

  private async run(generation: number, from: number): Promise<void> {
    const started = Date.now();
    let next = from;
    const live = (): boolean => generation === this.generation && !this.isStopped();
    while (live()) {
      // At most one second's worth per block, so a stall does not produce one huge block.
      const due = Math.min(Math.floor(((Date.now() - started) * this.eventsPerSecond) / 1000) - (next - from), Math.ceil(this.eventsPerSecond));
      if (due > 0) {
        const lines = new Array<string>(due);
        for (let k = 0; k < due; k++) lines[k] = dummyLine(next + k, this.seed);
        try {
          await this.storeMany(lines, { offset: next + due });
        } catch (err) {
          // Stopping rejects pending stores; anything else restarts us from the last durable offset.
          if (live() && !StreamingError.is(err, "DSTREAM_RECEIVER_STOPPED")) this.restart("DummySource: storing a block failed", err, 1000);
          return;
        }
        next += due;
      }
      await new Promise<void>((resolve) => (this.timer = setTimeout(resolve, this.tickMs)));
    }
  }
}
