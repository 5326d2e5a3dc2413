/**
 * Receivers in a group: lines per second through a word count fed by a receiver (`storeMany`
 * blocks of 1000, 8 in flight, as word-count-wal) when the job is a one-member group (blocks
 * published to the group's JetStream stream, one message per record with a Nats-Msg-Id, the batch
 * planned, read and committed through JetStream) against the same job alone on the LevelDB WAL.
 * Lines without a source identity go one block per message; with one (AMQP message-ids), one
 * message per line, measured apart.
 * Needs NATS on 127.0.0.1:4222.
 *
 *   npx tsx bench/group-receiver.bench.ts [--smoke]
 */
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { removeGroup } from "../lib/test-support/group-fixture.js";
import { NATS_URL, uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { isMain, main, median, seedBatches, type BenchOptions, type BenchResult } from "./common.js";
import { DrivenReceiver, dstreamWalRate, storeAll, BLOCK } from "./word-count-wal.bench.js";

const PARTITIONS = 4;

/** Lines/s of the word count as a one-member group: receiving into JetStream, then each batch run and committed. */
async function groupRate(batches: readonly string[][], withIds = false): Promise<{ rate: number; total: number; storeRate: number }> {
  const group = uniqueName("bench_g");
  const clock = new ManualClock(0);
  const receiver = new DrivenReceiver();
  const ssc = new StreamingContext({ batchDuration: 1000, clock, group: { name: group, servers: NATS_URL, partitions: PARTITIONS } });
  let total = 0;
  let lines = 0;
  const completed: number[] = [];
  const input = ssc.receiverStream(receiver);
  input.foreachRDD((rdd) => void (lines += rdd.count()));
  input
    .flatMap((l) => l.split(" "))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => rdd.foreach((kv) => void (total += kv[1])));
  ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo.batchTime) });
  await ssc.start();
  const t0 = performance.now();
  let storeMs = 0;
  let offset = 0;
  let expected = 0;
  for (const b of batches) {
    const ts = performance.now();
    if (withIds) await storeAllWithIds(receiver, b, offset);
    else await storeAll(receiver, b, offset);
    storeMs += performance.now() - ts;
    offset += b.length;
    expected += b.length;
    const time = clock.now() + 1000;
    await clock.advance(1000);
    // The member runs the batch on its own loop: wait for it (and for any batch the plan cut short).
    while (!completed.includes(time) || lines < expected) {
      if (completed.includes(time) && lines < expected) await clock.advance(1000);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  const ms = performance.now() - t0;
  await ssc.stop();
  await removeGroup(group);
  const n = batches.reduce((a, b) => a + b.length, 0);
  return { rate: n / (ms / 1000), total, storeRate: n / (storeMs / 1000) };
}

/** As storeAll, each record with a source identity (as RabbitMQ message-ids): one message per record. */
async function storeAllWithIds(receiver: DrivenReceiver, lines: readonly string[], firstOffset: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let at = 0; at < lines.length; at += BLOCK) {
    const block = lines.slice(at, at + BLOCK);
    const p = receiver.storeMany(block, { offset: firstOffset + at + BLOCK, ids: block.map((_, i) => `m-${firstOffset + at + i}`) });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const batches = seedBatches(smoke ? 2 : 5, smoke ? 2000 : 20_000);
  const rounds = smoke ? 1 : 3;
  const n = batches.reduce((a, b) => a + b.length, 0);
  const expected = n * 6;
  const wal: number[] = [];
  const grp: number[] = [];
  const store: number[] = [];
  for (let r = 0; r < rounds + (smoke ? 0 : 1); r++) {
    const w = await dstreamWalRate(batches);
    const g = await groupRate(batches);
    if (w.total !== expected || g.total !== expected) throw new Error(`word count wrong: WAL ${w.total}, group ${g.total} words, expected ${expected}`);
    if (r === 0 && !smoke) continue;
    wal.push(w.rate);
    grp.push(g.rate);
    store.push(g.storeRate);
  }
  // Records with identities: one message each (fewer of them; the same rounds).
  const idBatches = seedBatches(smoke ? 1 : 2, smoke ? 1000 : 5_000);
  const withIds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const g = await groupRate(idBatches, true);
    if (g.total !== idBatches.flat().length * 6) throw new Error(`word count wrong with ids: ${g.total} words`);
    withIds.push(g.rate);
  }
  const w = median(wal);
  const g = median(grp);
  return {
    name: "receiver in a group (JetStream as the WAL) vs alone (LevelDB WAL)",
    figures: {
      "alone, LevelDB WAL lines/s": w,
      "one-member group lines/s": g,
      "group: storeMany into JetStream lines/s": median(store),
      "one-member group, every line with an id (a message each) lines/s": median(withIds),
    },
    ratios: { "group/alone": g / w },
    notes: [`ids: ${idBatches.length} batches x ${(idBatches[0]?.length ?? 0).toLocaleString("en-US")} lines`, `${batches.length} batches x ${(batches[0]?.length ?? 0).toLocaleString("en-US")} lines, storeMany blocks of ${BLOCK}, ${PARTITIONS} partitions, median of ${rounds} rounds`],
  };
}

if (isMain(import.meta.url)) await main(run);
