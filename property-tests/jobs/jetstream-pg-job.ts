/**
 * The job the JetStream SIGKILL test runs in a child process: a 4-partition `jetStream` input of
 * lines (10 messages per partition per batch at most), per-batch word counts into a PostgreSQL
 * table (batch_time, word, count) and running totals (updateStateByKey) as JSON `[word, total]`
 * on a JetStream subject. SystemClock, 50 ms batches, real LevelDB under KillSwitchKv. Prints
 * `commit <time> <words counted so far>` per batch and `done <state json>` once every word is in.
 *
 * Environment: DSTREAM_JOB_DIR, DSTREAM_JOB_STREAM (its input subject is `<stream>.in`, output
 * `<stream>.out`), DSTREAM_JOB_TABLE, DSTREAM_JOB_WORDS (total words of the input),
 * DSTREAM_CRASH_AT, DSTREAM_CRASH_SKIP.
 */
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { LevelKv } from "../../storage/level-kv.js";
import { StreamingContext } from "../../lib/streaming-context.js";
import { NATS_URL } from "../../lib/test-support/jetstream-fixture.js";
import { CRASH_POINTS, KillSwitchKv, type CrashPoint } from "./kill-switch-kv.js";
import { reportUntilDone } from "./report-until-done.js";
import { countWordsIntoSinks } from "./word-count-sinks.js";
import { PARTITIONS } from "./word-lines.js";

const dir = process.env.DSTREAM_JOB_DIR!;
const stream = process.env.DSTREAM_JOB_STREAM!;
const table = process.env.DSTREAM_JOB_TABLE!;
const totalWords = Number(process.env.DSTREAM_JOB_WORDS);
const crashAt = (process.env.DSTREAM_CRASH_AT ?? "") as CrashPoint | "";
if (crashAt !== "" && !CRASH_POINTS.includes(crashAt)) throw new RangeError(`DSTREAM_CRASH_AT must be one of ${CRASH_POINTS.join(", ")}; got ${crashAt}`);
const skip = Number(process.env.DSTREAM_CRASH_SKIP ?? 0);

const counted = new Map<number, number>();
const ssc = await StreamingContext.getOrCreate(dir, () => {
  const s = new StreamingContext({
    batchDuration: 50,
    checkpointOptions: {
      snapshotInterval: 3,
      retainBatches: 3,
      openStore: async (d) => CheckpointStore.over(new KillSwitchKv(await LevelKv.open(d), crashAt === "" ? undefined : crashAt, skip)),
    },
  });
  const lines = s.jetStream<string>({ servers: NATS_URL, stream, subject: `${stream}.in`, partitions: PARTITIONS, maxRatePerPartition: 200 }).name("lines");
  const totals = countWordsIntoSinks(lines, stream, table);
  totals.foreachRDD((rdd, t) => void counted.set(t, rdd.collect().reduce((n, [, c]) => n + c, 0)));
  return s;
});

await reportUntilDone(ssc, counted, totalWords);
