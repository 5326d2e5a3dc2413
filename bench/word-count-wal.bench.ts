/**
 * Word count with the WAL: a reliable receiver stores the seed's lines with `storeMany` in blocks
 * of 1000 (each with its source offset, synced, concurrent calls sharing one fsync), batches of
 * 1 s on a ManualClock, the checkpoint on LevelDB (plans and commits synced). Baselines in the
 * same run: the plain Map loop, and a hand-written durable loop (one synced LevelDB chained-batch
 * write per block of raw lines, then the Map count).
 * Targets: ≥ 1,000,000 lines/s and ≥ 0.45 of the plain loop.
 *
 *   npx tsx bench/word-count-wal.bench.ts [--smoke]
 */
import { Level } from "level";
import { ManualClock } from "../lib/clock.js";
import { Receiver } from "../lib/receiver/receiver.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { walKey } from "../storage/keys.js";
import { isMain, main, median, plainWordCount, seedBatches, type BenchOptions, type BenchResult } from "./common.js";
import { tempDir } from "./harness.js";
import { plainRate } from "./word-count.bench.js";

export const BLOCK = 1000;
/** storeMany calls in flight at once: they share synced writes (group commit). */
const IN_FLIGHT = 8;

/** A receiver driven from outside: the benchmark calls `storeMany` on it. */
export class DrivenReceiver extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
}

/** Stores `lines` in blocks of BLOCK with offsets, at most IN_FLIGHT calls outstanding. */
export async function storeAll(receiver: DrivenReceiver, lines: readonly string[], firstOffset: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let at = 0; at < lines.length; at += BLOCK) {
    const p = receiver.storeMany(lines.slice(at, at + BLOCK), { offset: firstOffset + at + BLOCK });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** Lines per second of the whole job: receiving into the WAL, batches planned, run and committed. */
export async function dstreamWalRate(batches: readonly string[][]): Promise<{ rate: number; total: number; batchMs: number[] }> {
  const { dir, remove } = tempDir("wc-wal");
  const clock = new ManualClock();
  const receiver = new DrivenReceiver();
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc
      .receiverStream(receiver)
      .flatMap((l) => l.split(" "))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => rdd.foreach((kv) => void (total += kv[1])));
    return ssc;
  });
  let total = 0;
  const batchMs: number[] = [];
  await ssc.start();
  const t0 = performance.now();
  let offset = 0;
  for (const b of batches) {
    await storeAll(receiver, b, offset);
    offset += b.length;
    const tb = performance.now();
    await clock.advance(1000);
    batchMs.push(performance.now() - tb);
  }
  const ms = performance.now() - t0;
  await ssc.stop();
  remove();
  return { rate: count(batches) / (ms / 1000), total, batchMs };
}

/** The hand-written durable loop: a synced chained-batch write per block of raw lines, then count. */
export async function durableLoopRate(batches: readonly string[][]): Promise<number> {
  const { dir, remove } = tempDir("wc-durable");
  const db = new Level<Buffer, string>(dir, { keyEncoding: "buffer", valueEncoding: "utf8" });
  await db.open();
  let seq = 0;
  const t0 = performance.now();
  for (const b of batches) {
    const pending: Promise<void>[] = [];
    for (let at = 0; at < b.length; at += BLOCK) {
      pending.push(db.batch().put(walKey(0, seq++), b.slice(at, at + BLOCK).join("\n")).write({ sync: true }));
      if (pending.length >= IN_FLIGHT) await pending.shift();
    }
    await Promise.all(pending);
    plainWordCount(b);
  }
  const ms = performance.now() - t0;
  await db.close();
  remove();
  return count(batches) / (ms / 1000);
}

function count(batches: readonly string[][]): number {
  return batches.reduce((n, b) => n + b.length, 0);
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const batches = seedBatches(smoke ? 3 : 10, smoke ? 2000 : 200_000);
  const rounds = smoke ? 1 : 3;
  const expected = count(batches) * 6;
  const plain: number[] = [];
  const ours: number[] = [];
  const durable: number[] = [];
  let batchMs: number[] = [];
  for (let r = 0; r < rounds + (smoke ? 0 : 1); r++) {
    const p = plainRate(batches);
    const d = await dstreamWalRate(batches);
    const h = await durableLoopRate(batches);
    if (p.total !== expected || d.total !== expected) throw new Error(`word count wrong: ${d.total} words, expected ${expected}`);
    if (r === 0 && !smoke) continue;
    plain.push(p.rate);
    ours.push(d.rate);
    durable.push(h);
    batchMs = d.batchMs;
  }
  const p = median(plain);
  const d = median(ours);
  const h = median(durable);
  return {
    name: "word count with WAL (reliable receiver, LevelDB checkpoint)",
    figures: {
      "plain Map loop lines/s": p,
      "hand-written durable loop lines/s": h,
      "dstream + WAL lines/s": d,
      "batch run+commit ms (median)": median(batchMs),
    },
    ratios: { "dstream WAL/plain": d / p, "dstream WAL/durable loop": d / h, "dstream WAL/1M lines/s": d / 1_000_000 },
    targets: { "dstream WAL/plain": ">= 0.45", "dstream WAL/1M lines/s": ">= 1.0" },
    notes: [`${batches.length} batches x ${(batches[0]?.length ?? 0).toLocaleString("en-US")} lines, storeMany blocks of ${BLOCK}, ${IN_FLIGHT} in flight, median of ${rounds} rounds`],
  };
}

if (isMain(import.meta.url)) await main(run);
