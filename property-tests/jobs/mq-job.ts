/**
 * The job the message-queue SIGKILL test runs in a child process (node --import tsx): a reliable
 * RabbitMQ or MQTT receiver reads numbered messages; `saveAsTextFiles` (the exactly-once sink)
 * writes each batch's records; a running total (updateStateByKey) says when all N are in.
 * SystemClock, 100 ms batches, real LevelDB. It prints `commit <time> <total> <duplicates>` after
 * each batch (duplicates: redeliveries this process dropped), `duplicates <n>` when that number
 * grows, and `done <total>` (then exits 0) once the total reaches N (report-until-done.ts).
 *
 * Environment: DSTREAM_JOB_DIR (checkpoint), DSTREAM_JOB_OUT (sink directory), DSTREAM_JOB_RECORDS
 * (N), DSTREAM_MQ ("rabbitmq" | "mqtt"), DSTREAM_MQ_URL, DSTREAM_MQ_QUEUE (RabbitMQ),
 * DSTREAM_MQ_TOPIC and DSTREAM_MQ_CLIENT (MQTT), DSTREAM_MQ_RATE (maxRate), and
 * DSTREAM_CRASH_AFTER_WRITE=k: the process kills itself after its k-th durable block, before that
 * block's acknowledgements leave (the moment the redelivery window exists for).
 */
import type { Delivery } from "../../lib/sources/acking-batcher.js";
import { MqttReceiver, type Session as MqttSession } from "../../lib/sources/mqtt/mqtt-receiver.js";
import { RabbitMqReceiver, type Session as RabbitSession } from "../../lib/sources/rabbitmq/rabbitmq-receiver.js";
import { StreamingContext } from "../../lib/streaming-context.js";
import { reportUntilDone } from "./report-until-done.js";

const env = process.env;
const dir = env.DSTREAM_JOB_DIR!;
const out = env.DSTREAM_JOB_OUT!;
const total = Number(env.DSTREAM_JOB_RECORDS);
const rate = env.DSTREAM_MQ_RATE === undefined ? undefined : Number(env.DSTREAM_MQ_RATE);
const crashAfter = Number(env.DSTREAM_CRASH_AFTER_WRITE ?? 0);

let writes = 0;
let reported = 0;
/**
 * Before each durable batch is acknowledged: reports the redeliveries dropped so far (stdout to a
 * pipe is synchronous on Linux, so a kill right after loses nothing), and at the k-th batch dies
 * before acknowledging it.
 */
function settling(duplicates: number): void {
  if (duplicates !== reported) process.stdout.write(`duplicates ${(reported = duplicates)}\n`);
  if (crashAfter > 0 && ++writes === crashAfter) {
    // stdout to a pipe is written synchronously on Linux; nothing after the kill runs, so the
    // acknowledgements of this block never leave.
    process.stdout.write(`crash-point after-write ${writes}\n`);
    process.kill(process.pid, "SIGKILL");
  }
}

class CrashingRabbit extends RabbitMqReceiver<string> {
  protected override settle(session: RabbitSession, batch: readonly Delivery<string, never>[]): void {
    settling(this.counters.duplicates);
    super.settle(session, batch);
  }
}

class CrashingMqtt extends MqttReceiver<string> {
  protected override settle(session: MqttSession, batch: readonly Delivery<string, number>[]): void {
    settling(this.counters.duplicates);
    super.settle(session, batch);
  }
}

const receiver =
  env.DSTREAM_MQ === "rabbitmq"
    ? new CrashingRabbit({ url: env.DSTREAM_MQ_URL!, queue: env.DSTREAM_MQ_QUEUE!, prefetch: 200, reconnectDelay: 200, ...(rate === undefined ? {} : { maxRate: rate }) })
    : new CrashingMqtt({ url: env.DSTREAM_MQ_URL!, topics: [env.DSTREAM_MQ_TOPIC!], clientId: env.DSTREAM_MQ_CLIENT!, receiveMaximum: 200, reconnectDelay: 200, ...(rate === undefined ? {} : { maxRate: rate }) });

const totals = new Map<number, number>();
const ssc = await StreamingContext.getOrCreate(dir, () => {
  const s = new StreamingContext({ batchDuration: 100, checkpointOptions: { snapshotInterval: 5, retainBatches: 3 } });
  const records = s.receiverStream(receiver);
  records.saveAsTextFiles(`${out}/records`);
  const running = records.map((): [string, number] => ["n", 1]).updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0));
  running.foreachRDD((rdd, t) => void totals.set(t, rdd.collect()[0]?.[1] ?? 0));
  return s;
});

await reportUntilDone(ssc, totals, total, { done: "count", extra: () => String(receiver.counters.duplicates) });
