/**
 * Word count from JetStream into PostgreSQL and back to JetStream, exactly-once: lines arrive on
 * a 4-partition JetStream stream (subjects `<stream>.lines.0` … `.3`), each batch's word counts
 * go into the PostgreSQL table `(batch_time, word, count)`, and the running totals per word go,
 * as JSON `{"word":…,"total":…}`, to the subject `<stream>.totals`. It creates the stream and the
 * table if they are missing. Kill it at any moment and start it again: no line is lost or counted
 * twice, in the table or on the totals subject.
 *
 *   node --import tsx --conditions=dstream-source examples/jetstream-word-count.ts --produce 10000   # feed it
 *   node --import tsx --conditions=dstream-source examples/jetstream-word-count.ts [--seconds 30]
 *
 * Scaled out (README "Scaling out"): `--group wordcount` runs the process as a member of the group
 * `wordcount` (start it in two terminals: the members divide the partitions); `--instances 2`
 * starts two members of the group itself (`--group` defaults to `wordcount` then). A group keeps
 * its state in JetStream, not in a checkpoint directory.
 *
 * Options: --servers nats://127.0.0.1:4222, --pg postgres://postgres@127.0.0.1:5432/test,
 * --stream dstream_words, --table word_counts, --checkpoint ./checkpoints/jetstream-word-count,
 * --group <name>, --instances <n>.
 */
import { fileURLToPath } from "node:url";
import { connect, nanos, StringCodec } from "nats";
import pg from "pg";
import { runInstances, Seconds, StreamingContext, type DStream, type JetStreamMessage } from "dstream";
import { numberArg, runFor, stringArg } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** Where the example reads and writes. */
export interface WordCountConfig {
  servers: string;
  pg: string;
  stream: string;
  table: string;
  partitions: number;
}

/** Creates the stream (input partitions and totals subject) and the table, if missing. */
export async function ensureResources(c: WordCountConfig): Promise<void> {
  const nc = await connect({ servers: c.servers });
  try {
    const jsm = await nc.jetstreamManager();
    const config = { name: c.stream, subjects: [`${c.stream}.lines.*`, `${c.stream}.totals`], duplicate_window: nanos(5 * 60_000) };
    await jsm.streams.info(c.stream).then(
      () => jsm.streams.update(c.stream, config),
      () => jsm.streams.add(config),
    );
  } finally {
    await nc.close();
  }
  const db = new pg.Client({ connectionString: c.pg });
  await db.connect();
  try {
    await db.query(`CREATE TABLE IF NOT EXISTS "${c.table}" (batch_time bigint NOT NULL, word text NOT NULL, count integer NOT NULL, PRIMARY KEY (batch_time, word))`);
  } finally {
    await db.end();
  }
}

/** Publishes `n` lines of words, line i on partition i mod partitions. */
export async function produce(c: WordCountConfig, n: number, from = 0): Promise<void> {
  const words = ["spark", "stream", "node", "batch", "exactly", "once", "jet", "log"];
  const nc = await connect({ servers: c.servers });
  const js = nc.jetstream();
  const sc = StringCodec();
  for (let at = from; at < from + n; at += 1000) {
    const acks = [];
    for (let i = at; i < Math.min(from + n, at + 1000); i++) {
      const line = Array.from({ length: 1 + (i % 4) }, (_, j) => words[(i * 5 + j * 3) % words.length]).join(" ");
      acks.push(js.publish(`${c.stream}.lines.${i % c.partitions}`, sc.encode(line)));
    }
    await Promise.all(acks);
  }
  await nc.close();
}

/** The job: lines → per-batch counts into PostgreSQL, running totals onto `<stream>.totals`. */
export function buildJetStreamWordCount(ssc: StreamingContext, c: WordCountConfig) {
  const lines: DStream<JetStreamMessage<string>> = ssc
    .jetStream<string>({ servers: c.servers, stream: c.stream, subject: `${c.stream}.lines`, partitions: c.partitions, maxRatePerPartition: 50_000 })
    .name("lines");
  const words = lines.flatMap((m) => m.value.split(/\s+/).filter((w) => w !== "")).map((w): [string, number] => [w, 1]);
  const counts = words
    .reduceByKey((a, b) => a + b)
    .transform((rdd, time) => rdd.map(([word, count]) => ({ batch_time: time, word, count })))
    .name("batch-counts");
  counts.saveToPostgres({ connectionString: c.pg, table: c.table, columns: ["batch_time", "word", "count"] });
  const totals = words
    .updateStateByKey((ones: number[], total: number | undefined) => ones.reduce((a, b) => a + b, total ?? 0))
    .map(([word, total]) => ({ word, total }))
    .name("totals");
  totals.saveToJetStream({ servers: c.servers, subject: `${c.stream}.totals`, codec: "json", key: (t) => t.word });
  return { lines, counts, totals };
}

/**
 * The command line of each member `--instances n` starts: this one without `--instances n`, with
 * `--group` (default `wordcount`).
 */
export function memberArgs(argv: readonly string[]): string[] {
  const args = [...argv];
  const at = args.indexOf("--instances");
  if (at >= 0) args.splice(at, 2);
  if (!args.includes("--group")) args.push("--group", "wordcount");
  return args;
}

async function main(): Promise<void> {
  const config: WordCountConfig = {
    servers: stringArg("servers", "nats://127.0.0.1:4222"),
    pg: stringArg("pg", "postgres://postgres@127.0.0.1:5432/test"),
    stream: stringArg("stream", "dstream_words"),
    table: stringArg("table", "word_counts"),
    partitions: 4,
  };
  // Members started by --instances find them made by the launcher (no race on CREATE TABLE).
  if (process.env.DSTREAM_MEMBER_INDEX === undefined) await ensureResources(config);
  const n = numberArg("produce", 0);
  if (n > 0) {
    await produce(config, n, Date.now() % 1_000_000);
    console.log(`published ${n} lines to ${config.stream}.lines.0..${config.partitions - 1}`);
    return;
  }
  const instances = numberArg("instances", 0);
  if (instances > 0) {
    const exits = await runInstances({ script: fileURLToPath(import.meta.url), args: memberArgs(process.argv.slice(2)), instances });
    const failed = exits.filter((e) => e.code !== 0 && e.signal === null);
    if (failed.length > 0) process.exitCode = 1;
    return;
  }
  const group = stringArg("group", "");
  const build = (): StreamingContext => {
    const options = { batchDuration: Seconds(1), stopGracefullyOnShutdown: true };
    const ssc = new StreamingContext(group === "" ? options : { ...options, group: { name: group, servers: config.servers } });
    const { lines } = buildJetStreamWordCount(ssc, config);
    lines.count().foreachRDD((rdd, time) => console.log(`batch ${time}: ${rdd.first() ?? 0} lines`));
    return ssc;
  };
  // A group member keeps its state in the group's JetStream log: no checkpoint directory.
  const ssc = group === "" ? await StreamingContext.getOrCreate(stringArg("checkpoint", "./checkpoints/jetstream-word-count"), build) : build();
  console.log(`reading ${config.stream}.lines.*${group === "" ? "" : ` as a member of group ${group}`}; counts go to table ${config.table}, totals to ${config.stream}.totals (Ctrl-C stops)`);
  await runFor(ssc, numberArg("seconds", 30));
}

if (isMain(import.meta.url)) runMain(main);
