/**
 * The job the SIGKILL test runs in a child process (node --import tsx): a reliable receiver feeds
 * numbered records 0..N-1 from a deterministic generator, with offsets; a running count per key
 * (updateStateByKey); `saveAsTextFiles` for the records and for the counts, the exactly-once
 * sinks. SystemClock, 50 ms batches, real LevelDB. It prints `commit <time> <total>` after each
 * batch and `done <state json>` (then exits 0) once the counts cover all N records.
 *
 * Environment: DSTREAM_JOB_DIR (checkpoint), DSTREAM_JOB_OUT (sink directory), DSTREAM_JOB_RECORDS
 * (N), DSTREAM_CRASH_AT (a crash point of kill-switch-kv.ts, or empty), DSTREAM_CRASH_SKIP.
 */
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { LevelKv } from "../../storage/level-kv.js";
import { Receiver } from "../../lib/receiver/receiver.js";
import { StreamingContext } from "../../lib/streaming-context.js";
import { CRASH_POINTS, KillSwitchKv, type CrashPoint } from "./kill-switch-kv.js";
import { chunkAt, keyOf } from "./numbered-source.js";
import { reportUntilDone } from "./report-until-done.js";

const dir = process.env.DSTREAM_JOB_DIR!;
const out = process.env.DSTREAM_JOB_OUT!;
const total = Number(process.env.DSTREAM_JOB_RECORDS);
const crashAt = (process.env.DSTREAM_CRASH_AT ?? "") as CrashPoint | "";
if (crashAt !== "" && !CRASH_POINTS.includes(crashAt)) throw new RangeError(`DSTREAM_CRASH_AT must be one of ${CRASH_POINTS.join(", ")}; got ${crashAt}`);
const skip = Number(process.env.DSTREAM_CRASH_SKIP ?? 0);

/**
 * Records committed so far (the running counts' total of the last completed batch). The receiver
 * stays at most LEAD records ahead of it (backpressure): each process must still have input to
 * store after its first commits, or a restart whose catch-up outlasts the remaining input (fresh
 * records go to batches after the catch-up) would never reach the WAL crash points.
 */
let committedTotal = 0;
const LEAD = Math.max(40, Math.floor(total / 8));

/** Feeds records from the stored offset on, one chunk every few ms, until N. */
class NumberedReceiver extends Receiver<number> {
  onStart(): void {
    void this.feed();
  }

  onStop(): void {}

  private async feed(): Promise<void> {
    let next = typeof this.lastStoredOffset() === "number" ? (this.lastStoredOffset() as number) : 0;
    while (next < total && !this.isStopped()) {
      if (next - committedTotal > LEAD) {
        await new Promise((resolve) => setTimeout(resolve, 4));
        continue;
      }
      const chunk = chunkAt(next, total);
      try {
        await this.storeMany(chunk, { offset: next + chunk.length });
      } catch {
        return; // stopped
      }
      next += chunk.length;
      await new Promise((resolve) => setTimeout(resolve, 4));
    }
  }
}

const latestTotal = new Map<number, number>();
const ssc = await StreamingContext.getOrCreate(dir, () => {
  const s = new StreamingContext({
    batchDuration: 50,
    checkpointOptions: {
      snapshotInterval: 3,
      retainBatches: 3,
      // With the directory's commit mark, as in production: a kill between commit and mark must not be an alarm.
      openStore: async (d) => CheckpointStore.over(new KillSwitchKv(await LevelKv.open(d), crashAt === "" ? undefined : crashAt, skip), { dir: d }),
    },
  });
  const records = s.receiverStream(new NumberedReceiver());
  records.saveAsTextFiles(`${out}/records`);
  const counts = records.map((i): [string, number] => [keyOf(i), 1]).updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0));
  counts.saveAsTextFiles(`${out}/counts`);
  counts.foreachRDD((rdd, t) => void latestTotal.set(t, rdd.collect().reduce((n, [, c]) => n + c, 0)));
  return s;
});

await reportUntilDone(ssc, latestTotal, total, { onCommit: (n) => void (committedTotal = Math.max(committedTotal, n)) });
