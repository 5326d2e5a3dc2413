/**
 * Word count without a WAL, one core: the seed's lines through dstream (queueStream, flatMap → map
 * → reduceByKey, a ManualClock driving 1 s batches) against two baselines run in the same process:
 * a plain loop counting into a Map per batch, and the same pipeline in RxJS (`bufferTime` on a
 * virtual-time scheduler standing for the batch clock, then a reduce per buffer).
 * Targets: dstream ≥ 0.7 of the plain loop, ≥ 1.0 of RxJS.
 *
 *   npx tsx bench/word-count.bench.ts [--smoke]
 */
import { Subject, VirtualTimeScheduler, bufferTime, map, mergeMap } from "rxjs";
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { isMain, main, median, plainWordCount, seedBatches, type BenchOptions, type BenchResult } from "./common.js";

/** Lines per second of the plain loop: one Map per batch, as a batch engine would produce. */
export function plainRate(batches: readonly string[][]): { rate: number; total: number } {
  let total = 0;
  const t0 = performance.now();
  for (const b of batches) {
    const m = plainWordCount(b);
    for (const v of m.values()) total += v;
  }
  return { rate: lines(batches) / ((performance.now() - t0) / 1000), total };
}

/** Lines per second of the dstream pipeline on a ManualClock, no checkpoint. */
export async function dstreamRate(batches: readonly string[][]): Promise<{ rate: number; total: number }> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  const queue = batches.map((b) => b);
  let total = 0;
  ssc
    .queueStream(queue)
    .flatMap((l) => l.split(" "))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => rdd.foreach((kv) => void (total += kv[1])));
  await ssc.start();
  const t0 = performance.now();
  await clock.advance(batches.length * 1000);
  const ms = performance.now() - t0;
  await ssc.stop();
  return { rate: lines(batches) / (ms / 1000), total };
}

/**
 * Lines per second of the RxJS pipeline: bufferTime(1000) on virtual time, a reduce per buffer.
 * `perWord`: the literal pipeline (mergeMap to words, map to pairs, then buffer); otherwise the
 * faster way an RxJS user would write it (buffer the lines, split and count in the reduce).
 */
export function rxjsRate(batches: readonly string[][], perWord: boolean): { rate: number; total: number } {
  const scheduler = new VirtualTimeScheduler(undefined, 0);
  const input = new Subject<string>();
  let total = 0;
  const counted = perWord
    ? input.pipe(
        mergeMap((l) => l.split(" ")),
        map((w): [string, number] => [w, 1]),
        bufferTime(1000, scheduler),
        map((pairs) => pairs.reduce((m, [w, n]) => m.set(w, (m.get(w) ?? 0) + n), new Map<string, number>())),
      )
    : input.pipe(
        bufferTime(1000, scheduler),
        map((ls) => ls.reduce((m, l) => plainWordCount([l], m), new Map<string, number>())),
      );
  const sub = counted.subscribe((m) => {
    for (const v of m.values()) total += v;
  });
  const t0 = performance.now();
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b] as string[];
    for (let i = 0; i < batch.length; i++) input.next(batch[i] as string);
    // The batch boundary: virtual time moves one second, as the ManualClock does for dstream.
    scheduler.maxFrames = (b + 1) * 1000;
    scheduler.flush();
  }
  const ms = performance.now() - t0;
  sub.unsubscribe();
  return { rate: lines(batches) / (ms / 1000), total };
}

function lines(batches: readonly string[][]): number {
  return batches.reduce((n, b) => n + b.length, 0);
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const batches = seedBatches(smoke ? 3 : 10, smoke ? 1000 : 200_000);
  const rounds = smoke ? 1 : 5;
  const plain: number[] = [];
  const ours: number[] = [];
  const rx: number[] = [];
  const rxWords: number[] = [];
  const expected = batches.reduce((n, b) => n + b.length, 0) * 6;
  // Warm-up and interleaved rounds so JIT and GC drift hit all three alike; the median counts.
  for (let r = 0; r < rounds + (smoke ? 0 : 1); r++) {
    const p = plainRate(batches);
    const d = await dstreamRate(batches);
    const x = rxjsRate(batches, false);
    const xw = rxjsRate(batches, true);
    for (const t of [p.total, d.total, x.total, xw.total]) if (t !== expected) throw new Error(`word count wrong: ${t} words, expected ${expected}`);
    if (r === 0 && !smoke) continue;
    plain.push(p.rate);
    ours.push(d.rate);
    rx.push(x.rate);
    rxWords.push(xw.rate);
  }
  const p = median(plain);
  const d = median(ours);
  const x = median(rx);
  const xw = median(rxWords);
  return {
    name: "word count, no WAL (lines/s)",
    figures: { "plain Map loop lines/s": p, "dstream lines/s": d, "rxjs (buffer lines, reduce) lines/s": x, "rxjs (mergeMap words) lines/s": xw },
    ratios: { "dstream/plain": d / p, "dstream/rxjs": d / x, "dstream/rxjs mergeMap": d / xw },
    targets: { "dstream/plain": ">= 0.7", "dstream/rxjs": ">= 1.0" },
    notes: [`${batches.length} batches x ${fmtN(batches[0]?.length ?? 0)} lines, median of ${rounds} rounds`],
  };
}

function fmtN(n: number): string {
  return n.toLocaleString("en-US");
}

if (isMain(import.meta.url)) await main(run);
