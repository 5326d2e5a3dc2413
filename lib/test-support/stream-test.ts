import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { FaultInjectingKv } from "../../storage/fault-kv.js";
import { LevelKv } from "../../storage/level-kv.js";
import { ManualClock } from "../clock.js";
import type { DStream } from "../dstream/internal.js";
import { StreamingContext } from "../streaming-context.js";
import type { Time } from "../time.js";
import { tempDirSync } from "./temp-dirs.js";

/** A fresh temporary checkpoint directory, removed when the test file ends (see {@link tempDirSync}). */
export function tempCheckpointDir(prefix = "dstream-test-"): string {
  return tempDirSync(prefix);
}

/** Options of a StreamTest. */
export interface StreamTestOptions {
  batchDuration?: number;
  /** Snapshot every this many batches (small, so tests cross snapshots). */
  snapshotInterval?: number;
  retainBatches?: number;
}

/**
 * A job on a real LevelDB checkpoint that a test can crash and restart (Spark's StreamTest):
 * `addData` queues a batch of input, `advance` runs batches, `crash` abandons the context as a
 * killed process would (no write after that instant happens; the lock is released), `restart`
 * runs getOrCreate on the same directory. Outputs are recorded per batch time, across restarts.
 */
export class StreamTest<T, U> {
  readonly dir: string;
  private readonly queue: T[][] = [];
  private clock = new ManualClock();
  private ssc: StreamingContext | undefined;
  private kv: FaultInjectingKv | undefined;
  /** Every output, in the order it was produced: [batch time, records]. */
  readonly outputs: [Time, U[]][] = [];
  /** Number of contexts started so far. */
  starts = 0;

  constructor(
    private readonly build: (input: DStream<T>) => DStream<U>,
    private readonly options: StreamTestOptions = {},
    dir?: string,
  ) {
    this.dir = dir ?? tempCheckpointDir();
  }

  get batchDuration(): number {
    return this.options.batchDuration ?? 1000;
  }

  get context(): StreamingContext {
    if (this.ssc === undefined) throw new Error("StreamTest: not started");
    return this.ssc;
  }

  /** Starts (or, on a directory with a checkpoint, recovers) the job. */
  async start(): Promise<StreamingContext> {
    const kv = new FaultInjectingKv(await LevelKv.open(this.dir));
    this.kv = kv;
    const ssc = await StreamingContext.getOrCreate(this.dir, () => {
      const s = new StreamingContext({
        batchDuration: this.batchDuration,
        clock: this.clock,
        checkpointOptions: {
          snapshotInterval: this.options.snapshotInterval ?? 3,
          retainBatches: this.options.retainBatches ?? 2,
          openStore: () => CheckpointStore.over(kv),
        },
      });
      this.build(s.queueStream(this.queue)).foreachRDD((rdd, time) => void this.outputs.push([time, rdd.collect()]));
      return s;
    });
    this.ssc = ssc;
    this.starts++;
    await ssc.start();
    return ssc;
  }

  /** Queues one batch of input (taken by the next batch that runs). */
  addData(...records: T[]): this {
    this.queue.push(records);
    return this;
  }

  /** Runs `n` batches. */
  async advance(n = 1): Promise<void> {
    await this.clock.advance(n * this.batchDuration);
  }

  /** Abandons the context as a killed process would: nothing it would still write reaches disk. */
  async crash(): Promise<void> {
    const kv = this.kv;
    if (kv === undefined || this.ssc === undefined) throw new Error("StreamTest: not started");
    kv.crashNow();
    await this.ssc.stop().catch(() => undefined);
    await kv.inner.close();
    this.ssc = undefined;
    // A new process has a new clock, at the same time.
    this.clock = new ManualClock(this.clock.now());
  }

  /** Starts the job again on the same directory, as a new process would. */
  async restart(): Promise<StreamingContext> {
    return this.start();
  }

  /** Stops the job cleanly. */
  async stop(): Promise<void> {
    await this.ssc?.stop();
    this.ssc = undefined;
  }

  /** The outputs per batch time; throws if any batch time was output twice. */
  outputsByTime(): Map<Time, U[]> {
    const byTime = new Map<Time, U[]>();
    for (const [t, out] of this.outputs) {
      if (byTime.has(t)) throw new Error(`StreamTest: batch ${t} was output twice`);
      byTime.set(t, out);
    }
    return byTime;
  }
}
