/**
 * The job the group failure tests (property-tests/group-*.test.ts) run, one process per member:
 * a 6-partition `jetStream` input of lines → words → per-batch counts (reduceByKey, through the
 * group's shuffle) into a PostgreSQL table (batch_time, word, count), and running totals
 * (updateStateByKey) as JSON `[word, total]` on `<stream>.out`. SystemClock; no checkpoint
 * directory: the group's state lives in JetStream. Prints `member <id>` once started and
 * `commit <time>` after each batch; a failed start or job prints `error <CODE>: <message>` on
 * stderr and exits 1. SIGTERM stops it gracefully. It dies with its test: when its stdin closes
 * (the test process is gone), it exits at once.
 *
 * Environment: DSTREAM_JOB_STREAM (input `<stream>.in.<p>`, output `<stream>.out`),
 * DSTREAM_JOB_TABLE, DSTREAM_JOB_GROUP, DSTREAM_JOB_LEASE_MS, DSTREAM_JOB_BATCH_MS,
 * DSTREAM_JOB_VARIANT=other (the running totals under another operator name: a member with
 * different code, whose graph fingerprint does not match the group's).
 */
import { StreamingError } from "../../errors.js";
import { StreamingContext } from "../../lib/streaming-context.js";
import { NATS_URL } from "../../lib/test-support/jetstream-fixture.js";
import { countWordsIntoSinks } from "./word-count-sinks.js";
import { GROUP_PARTITIONS } from "./word-lines.js";

const stream = process.env.DSTREAM_JOB_STREAM!;
const table = process.env.DSTREAM_JOB_TABLE!;

function fail(err: unknown): never {
  process.stderr.write(StreamingError.is(err) ? `error ${err.code}: ${err.message}\n` : `error ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
}

process.stdin.on("end", () => process.exit(1)).resume();

try {
  const ssc = new StreamingContext({
    batchDuration: Number(process.env.DSTREAM_JOB_BATCH_MS ?? 300),
    stopGracefullyOnShutdown: true,
    // A snapshot every 2 commits: snapshots, log retention and shuffle purges run often under the kills.
    group: { name: process.env.DSTREAM_JOB_GROUP!, servers: NATS_URL, leaseMs: Number(process.env.DSTREAM_JOB_LEASE_MS ?? 3000), snapshotInterval: 2 },
  });
  const lines = ssc.jetStream<string>({ servers: NATS_URL, stream, subject: `${stream}.in`, partitions: GROUP_PARTITIONS, maxRatePerPartition: 2000 }).name("lines");
  countWordsIntoSinks(lines, stream, table, process.env.DSTREAM_JOB_VARIANT === "other" ? "running-totals" : "totals");
  ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => void process.stdout.write(`commit ${batchInfo.batchTime}\n`) });
  await ssc.start();
  process.stdout.write(`member ${ssc.group!.memberId}\n`);
  ssc.awaitTermination().catch(fail);
} catch (err) {
  fail(err);
}
