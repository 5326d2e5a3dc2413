/**
 * The job bench/group.bench.ts runs in child processes: a `jetStream` word count over the
 * pre-published input (flatMap → map → reduceByKey: in a group, the shuffle goes through
 * JetStream), as a group member (`DSTREAM_BENCH_GROUP` set) or as the single-process LevelDB
 * engine (`DSTREAM_BENCH_DIR`: its checkpoint directory). Builds the graph, prints `ready`, and
 * starts once it reads `go` on stdin (so that every member's start is timed alike). Prints
 * `member <id>` (group) once started, and per batch `counted <time> <p>=<lines> …` for the input
 * partitions it read (a re-run batch prints the same again) and `words <time> <n>` (words counted
 * by its reduce partitions). SIGTERM stops it; so does the end of its stdin (the bench is gone).
 *
 * Environment: DSTREAM_BENCH_STREAM (input `<stream>.in.<p>`), DSTREAM_BENCH_PARTITIONS,
 * DSTREAM_BENCH_BATCH_MS, DSTREAM_BENCH_RATE (maxRatePerPartition), DSTREAM_BENCH_LEASE_MS.
 */
import { StreamingError } from "../errors.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { NATS_URL } from "../lib/test-support/jetstream-fixture.js";

const env = process.env;
const stream = env.DSTREAM_BENCH_STREAM!;
const group = env.DSTREAM_BENCH_GROUP;

function fail(err: unknown): never {
  process.stderr.write(StreamingError.is(err) ? `error ${err.code}: ${err.message}\n` : `error ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
}

try {
  const build = (): StreamingContext => {
    const options = { batchDuration: Number(env.DSTREAM_BENCH_BATCH_MS ?? 500), stopGracefullyOnShutdown: true };
    const ssc = new StreamingContext(group === undefined ? options : { ...options, group: { name: group, servers: NATS_URL, leaseMs: Number(env.DSTREAM_BENCH_LEASE_MS ?? 3000) } });
    const lines = ssc.jetStream<string>({ servers: NATS_URL, stream, subject: `${stream}.in`, partitions: Number(env.DSTREAM_BENCH_PARTITIONS), maxRatePerPartition: Number(env.DSTREAM_BENCH_RATE) });
    lines.foreachRDD((rdd, t) => {
      const per = new Map<number, number>();
      for (const m of rdd.collect()) per.set(m.partition, (per.get(m.partition) ?? 0) + 1);
      if (per.size > 0) process.stdout.write(`counted ${t} ${[...per].map(([p, n]) => `${p}=${n}`).join(" ")}\n`);
    });
    lines
      .flatMap((m) => m.value.split(" "))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd, t) => {
        let n = 0;
        for (const [, c] of rdd.collect()) n += c;
        if (n > 0) process.stdout.write(`words ${t} ${n}\n`);
      });
    return ssc;
  };
  const ssc = group === undefined ? await StreamingContext.getOrCreate(env.DSTREAM_BENCH_DIR!, build) : build();
  process.stdout.write("ready\n");
  // stdin stays open while the bench runs: its end means the bench process is gone.
  await new Promise<void>((resolve) => {
    let input = "";
    process.stdin.on("data", (d: Buffer) => (input += d.toString()).includes("go\n") && resolve());
    process.stdin.on("end", () => process.exit(1));
  });
  await ssc.start();
  if (group !== undefined) process.stdout.write(`member ${ssc.group!.memberId}\n`);
  ssc.awaitTermination().catch(fail);
} catch (err) {
  fail(err);
}
