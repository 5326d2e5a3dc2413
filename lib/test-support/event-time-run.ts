import { CheckpointStore, openCheckpointStore } from "../../storage/checkpoint-store.js";
import { FaultInjectingKv, SimulatedCrash } from "../../storage/fault-kv.js";
import { LevelKv } from "../../storage/level-kv.js";
import { ManualClock } from "../clock.js";
import type { DStream } from "../dstream/internal.js";
import type { EventTimeInfo } from "../listener.js";
import { StreamingContext } from "../streaming-context.js";

/** What an event-time job exposes to a run: its results and, optionally, late records. */
export interface EventTimeJob<R, L> {
  out: DStream<R>;
  late?: DStream<L>;
}

/** One event-time job's observations, per batch (index = batch number − 1). */
export interface EventTimeRun<R, L> {
  outputs: R[][];
  late: L[][];
  /** The listener's `eventTime` figures of each batch. */
  infos: EventTimeInfo[][];
  /** Storage writes the first process made (crash points to try). */
  writes: number;
}

/** Options of {@link runEventTime}. */
export interface EventTimeRunOptions {
  batchDuration?: number;
  /** Batches to run; default: the input's length. */
  numBatches?: number;
  /** Crash the first process at its k-th storage write (0-based), then recover and finish. */
  crashAtWrite?: number;
  snapshotInterval?: number;
}

/**
 * Runs `build` over `input` (one array of records per batch, on a single queue stream) with a
 * LevelDB checkpoint in `dir`, on a ManualClock, recording each batch's results, late records and
 * listener figures. With `crashAtWrite`, the first process dies at that storage write; a second one
 * recovers on the same directory and runs to the end. A batch re-run after the crash replaces what
 * the dead process emitted for it (outputs are at-least-once; the test compares the final ones).
 */
export async function runEventTime<T, R, L = never>(
  dir: string,
  input: T[][],
  build: (s: DStream<T>) => EventTimeJob<R, L>,
  options: EventTimeRunOptions = {},
): Promise<EventTimeRun<R, L>> {
  const batchDuration = options.batchDuration ?? 1000;
  const numBatches = options.numBatches ?? input.length;
  const run: EventTimeRun<R, L> = { outputs: [], late: [], infos: [], writes: 0 };
  let clock = new ManualClock();
  const index = (time: number): number => time / batchDuration - 1;
  /** Starts a process whose queue holds the input from batch `from` on (0-based). */
  const start = async (from: number, crashAtWrite: number | undefined): Promise<{ ssc: StreamingContext; kv: FaultInjectingKv }> => {
    const queue = input.slice(from).map((b) => [...b]);
    const kv = new FaultInjectingKv(await LevelKv.open(dir), crashAtWrite === undefined ? {} : { crashAtWrite });
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = new StreamingContext({
        batchDuration,
        clock,
        checkpointOptions: { snapshotInterval: options.snapshotInterval ?? 3, retainBatches: 2, openStore: () => CheckpointStore.over(kv) },
      });
      const job = build(s.queueStream(queue));
      job.out.foreachRDD((rdd, time) => void (run.outputs[index(time)] = rdd.collect()));
      job.late?.foreachRDD((rdd, time) => void (run.late[index(time)] = rdd.collect()));
      s.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => void (run.infos[index(batchInfo.batchTime)] = batchInfo.eventTime ?? []) });
      return s;
    }).catch(async (err: unknown) => {
      await kv.inner.close();
      throw err;
    });
    return { ssc, kv };
  };
  const first = await start(0, options.crashAtWrite);
  try {
    await first.ssc.start();
    await clock.advance(numBatches * batchDuration);
    await first.ssc.stop();
    run.writes = first.kv.writes;
    return fill(run, numBatches);
  } catch (err) {
    if (!SimulatedCrash.is(err)) throw err;
  }
  // The first process died: it writes nothing more; a new one recovers at the same time.
  run.writes = first.kv.writes;
  await first.ssc.stop().catch(() => undefined);
  await first.kv.inner.close();
  const crashedAt = clock.now();
  clock = new ManualClock(crashedAt);
  // A batch whose plan is on disk re-runs with the arrays it took; the batch that died before its
  // plan was written took an array from the dead process's queue: the new queue starts there.
  const store = await openCheckpointStore(dir);
  let planned = 0;
  try {
    for (const { time } of await store.batchPlansFrom(0)) planned = Math.max(planned, index(time) + 1);
  } finally {
    await store.close();
  }
  const second = await start(planned, undefined);
  try {
    await second.ssc.start();
    await clock.advance(numBatches * batchDuration - crashedAt);
  } finally {
    await second.ssc.stop();
  }
  return fill(run, numBatches);
}

/** Batches that emitted nothing (a window between slides) read as empty. */
function fill<R, L>(run: EventTimeRun<R, L>, n: number): EventTimeRun<R, L> {
  for (let i = 0; i < n; i++) {
    run.outputs[i] ??= [];
    run.late[i] ??= [];
    run.infos[i] ??= [];
  }
  return run;
}
