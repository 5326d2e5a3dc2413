/**
 * The job the group-receiver SIGKILL test runs in a child process (node --import tsx): a one-member
 * group (DESIGN.md §10) whose RabbitMQ receiver publishes its blocks to the group's JetStream
 * stream; `saveToJetStream` (exactly-once per partition and batch) publishes each batch's records; a
 * running total (updateStateByKey, in the group's log) says when all N are in. SystemClock, 200 ms
 * batches. It prints `commit <time> <total> <partitions held>` after each batch (total: 0 where
 * this member does not hold the total's partition) and `done <total>` (then exits 0) once the total reaches N
 * (support: report-until-done.ts).
 *
 * Environment: DSTREAM_GROUP (the group's name), DSTREAM_MEMBER (the member's id), DSTREAM_JOB_SUBJECT (the sink's subject),
 * DSTREAM_JOB_RECORDS (N), DSTREAM_KEEP_RUNNING=1 (print `done` and go on), DSTREAM_MQ_URL, DSTREAM_MQ_QUEUE, DSTREAM_MQ_RATE (maxRate), and
 * DSTREAM_CRASH_AFTER_WRITE=k: the process kills itself after its k-th block acknowledged by
 * JetStream, before RabbitMQ gets that block's acknowledgements (so RabbitMQ redelivers messages
 * the group's stream holds, and its duplicate window must drop them).
 */
import type { Delivery } from "../../lib/sources/acking-batcher.js";
import { RabbitMqReceiver, type Session } from "../../lib/sources/rabbitmq/rabbitmq-receiver.js";
import { StreamingContext } from "../../lib/streaming-context.js";
import { NATS_URL } from "../../lib/test-support/jetstream-fixture.js";
import { reportUntilDone } from "./report-until-done.js";

const env = process.env;
const total = Number(env.DSTREAM_JOB_RECORDS);
const rate = env.DSTREAM_MQ_RATE === undefined ? undefined : Number(env.DSTREAM_MQ_RATE);
const crashAfter = Number(env.DSTREAM_CRASH_AFTER_WRITE ?? 0);

let writes = 0;
class CrashingRabbit extends RabbitMqReceiver<string> {
  protected override settle(session: Session, batch: readonly Delivery<string, never>[]): void {
    if (crashAfter > 0 && ++writes === crashAfter) {
      // stdout to a pipe is written synchronously on Linux; nothing after the kill runs.
      process.stdout.write(`crash-point after-write ${writes}\n`);
      process.kill(process.pid, "SIGKILL");
    }
    super.settle(session, batch);
  }
}

const receiver = new CrashingRabbit({ url: env.DSTREAM_MQ_URL!, queue: env.DSTREAM_MQ_QUEUE!, prefetch: 200, reconnectDelay: 200, ...(rate === undefined ? {} : { maxRate: rate }) });
// The same member id on every run of a member: a restarted member takes its partitions back at once.
// A snapshot every 2 commits: positions are recorded and the receiver stream purged often under the kills.
const ssc = new StreamingContext({ batchDuration: 200, group: { name: env.DSTREAM_GROUP!, servers: NATS_URL, leaseMs: 1000, partitions: 3, memberId: env.DSTREAM_MEMBER ?? "member-1", snapshotInterval: 2 } });
const records = ssc.receiverStream(receiver);
// saveAsTextFiles names files by batch time only: two members would write the same file.
records.saveToJetStream({ servers: NATS_URL, subject: env.DSTREAM_JOB_SUBJECT! });
const totals = new Map<number, number>();
records
  .map((): [string, number] => ["n", 1])
  .updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0))
  .foreachRDD((rdd, t) => void totals.set(t, rdd.collect()[0]?.[1] ?? 0));

// With other members, the parent stops this one once their batches are in the sink too.
await reportUntilDone(ssc, totals, total, { done: "count", extra: () => ssc.group?.owned().join(",") ?? "", keepRunning: env.DSTREAM_KEEP_RUNNING === "1" });
