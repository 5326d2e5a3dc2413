/**
 * JetStream source: messages per second through a word count (`ssc.jetStream` over 4 partitions,
 * flatMap → map → reduceByKey, a ManualClock driving batches capped by maxRatePerPartition)
 * against a bare `nats` client consuming the same ranges (one ordered consumer per partition
 * subject, counting words in a plain loop). Both read the same stream, the same messages, after
 * it is filled (publishing is not timed). Needs NATS on 127.0.0.1:4222.
 *
 *   npx tsx bench/jetstream-source.bench.ts [--smoke]
 */
import { connect, type NatsConnection } from "nats";
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { JetStreamClient } from "../lib/sources/jetstream/jetstream-client.js";
import { NATS_URL, uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { isMain, main, median, plainWordCount, seedLines, type BenchOptions, type BenchResult } from "./common.js";

const PARTITIONS = 4;
const decoder = new TextDecoder();

/** Messages/s of the dstream word count over the whole stream, in batches of at most `perBatch` per partition. */
async function dstreamRate(stream: string, total: number, perBatch: number | undefined): Promise<{ rate: number; words: number }> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  let words = 0;
  let messages = 0;
  const input = ssc.jetStream<string>({ servers: NATS_URL, stream, subject: `${stream}.in`, partitions: PARTITIONS, maxRatePerPartition: perBatch });
  input.foreachRDD((rdd) => void (messages += rdd.count()));
  input
    .flatMap((m) => m.value.split(" "))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => rdd.foreach((kv) => void (words += kv[1])));
  await ssc.start();
  const t0 = performance.now();
  while (messages < total) await clock.advance(1000);
  const ms = performance.now() - t0;
  await ssc.stop();
  return { rate: total / (ms / 1000), words };
}

/** Messages/s of a bare client: an ordered consumer per partition reading it all, a plain word count. */
async function bareRate(nc: NatsConnection, stream: string, total: number): Promise<{ rate: number; words: number }> {
  const js = nc.jetstream();
  const t0 = performance.now();
  const counts = await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, p) => {
      const consumer = await js.consumers.get(stream, { filterSubjects: `${stream}.in.${p}` });
      const info = await consumer.info();
      let left = info.num_pending;
      const m = new Map<string, number>();
      const lines: string[] = [];
      const it = await consumer.consume({ max_messages: 10_000 });
      if (left > 0) {
        for await (const msg of it) {
          lines.push(decoder.decode(msg.data));
          if (--left === 0) break;
        }
      }
      // Stop pulling before the consumer goes: it must not keep the server busy in later rounds.
      await it.close();
      await consumer.delete().catch(() => undefined);
      plainWordCount(lines, m);
      let words = 0;
      for (const v of m.values()) words += v;
      return { words, n: lines.length };
    }),
  );
  const ms = performance.now() - t0;
  const n = counts.reduce((a, c) => a + c.n, 0);
  if (n !== total) throw new Error(`bare client read ${n} messages, expected ${total}`);
  return { rate: total / (ms / 1000), words: counts.reduce((a, c) => a + c.words, 0) };
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const total = smoke ? 2_000 : Number(process.env.BENCH_JS_TOTAL ?? 40_000);
  const rounds = smoke ? 1 : 3;
  const perBatch = total / PARTITIONS / 10; // ten batches; or one batch with no rate limit
  const stream = uniqueName("dstream_bench");
  const client = JetStreamClient.open([NATS_URL]);
  const nc = await connect({ servers: NATS_URL });
  try {
    await client.ensureStream({ name: stream, subjects: [`${stream}.>`] });
    const lines = seedLines(total);
    const enc = new TextEncoder();
    const js = nc.jetstream({ timeout: 60_000 });
    for (let at = 0; at < total; at += 500) {
      const acks = [];
      for (let i = at; i < Math.min(total, at + 500); i++) acks.push(js.publish(`${stream}.in.${i % PARTITIONS}`, enc.encode(lines[i] as string)));
      await Promise.all(acks);
    }
    const expectedWords = total * 6;
    const ten: number[] = [];
    const one: number[] = [];
    const bare: number[] = [];
    // Interleaved rounds, so that load from elsewhere on the machine hits all three alike.
    for (let r = 0; r < rounds; r++) {
      const b = await bareRate(nc, stream, total);
      const d10 = await dstreamRate(stream, total, perBatch);
      const d1 = await dstreamRate(stream, total, undefined);
      for (const w of [b.words, d10.words, d1.words]) if (w !== expectedWords) throw new Error(`word count wrong: ${w} words, expected ${expectedWords}`);
      bare.push(b.rate);
      ten.push(d10.rate);
      one.push(d1.rate);
    }
    const b = median(bare);
    const d10 = median(ten);
    const d1 = median(one);
    return {
      name: "JetStream source word count (messages/s)",
      figures: { "bare nats consumer + plain loop msgs/s": b, "dstream, 10 batches (maxRatePerPartition) msgs/s": d10, "dstream, 1 batch msgs/s": d1 },
      ratios: { "dstream 10 batches/bare client": d10 / b, "dstream 1 batch/bare client": d1 / b },
      notes: [
        `${total.toLocaleString("en-US")} messages of ~22 bytes on ${PARTITIONS} partitions, median of ${rounds} rounds; NATS runs on the same 2 cores`,
        "the source keeps one filtered pull consumer per partition across batches and pulls (no_wait) what each batch's range needs, one partition after the other: a round trip per partition and batch that the bare client (one consumer per partition, streaming) does not pay",
      ],
    };
  } finally {
    await client.deleteStream(stream);
    await client.release();
    await nc.close();
  }
}

if (isMain(import.meta.url)) await main(run);
