/**
 * What the live UI costs the job: the per-batch time of a small receiver job on a ManualClock
 * (scheduler, listeners, no I/O waits) without the UI, with the UI and no page open, and with a
 * page open (an SSE client connected), at the UI's full retention of 1000 batches; then the time
 * to answer `…/batches` (1000 batches), `…/inputs` and `/metrics` over HTTP.
 *
 *   npx tsx bench/ui-overhead.bench.ts [--smoke]
 */
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { isMain, main, median, type BenchOptions, type BenchResult } from "./common.js";
import { DrivenReceiver } from "./word-count-wal.bench.js";

type Mode = "no UI" | "UI, no page" | "UI, page open";

async function perBatchMs(mode: Mode, batches: number, requests: number): Promise<{ ms: number; http: Record<string, number> }> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: "bench", ui: mode === "no UI" ? false : { port: 0 } });
  const receiver = new DrivenReceiver({ name: "words" });
  ssc.receiverStream(receiver).map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b).foreachRDD((rdd) => void rdd.count());
  await ssc.start();
  const events = mode === "UI, page open" ? await fetch(`${ssc.uiUrl}events`) : undefined;
  // Warm up past the UI's retention, so every batch pays for a full history.
  for (let i = 0; i < 1000; i++) {
    receiver.store(`w${i % 7}`);
    await clock.advance(1000);
  }
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) {
    for (let k = 0; k < 10; k++) receiver.store(`w${k}`);
    await clock.advance(1000);
  }
  const ms = (performance.now() - t0) / batches;
  const http: Record<string, number> = {};
  if (ssc.uiUrl !== undefined) {
    for (const path of ["api/v1/applications/bench/streaming/batches", "api/v1/applications/bench/streaming/inputs", "metrics"]) {
      const times: number[] = [];
      for (let r = 0; r < requests; r++) {
        const t = performance.now();
        await (await fetch(ssc.uiUrl + path)).text();
        times.push(performance.now() - t);
      }
      http[path.replace("api/v1/applications/bench/streaming/", "…/")] = median(times);
    }
  }
  await events?.body?.cancel();
  await ssc.stop();
  return { ms, http };
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const batches = smoke ? 50 : 2000;
  const requests = smoke ? 3 : 20;
  const figures: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  const base = await perBatchMs("no UI", batches, requests);
  figures["ms per batch, no UI"] = base.ms;
  for (const mode of ["UI, no page", "UI, page open"] as const) {
    const r = await perBatchMs(mode, batches, requests);
    figures[`ms per batch, ${mode}`] = r.ms;
    ratios[`${mode} / no UI (per batch)`] = r.ms / base.ms;
    if (mode === "UI, page open") for (const [path, ms] of Object.entries(r.http)) figures[`GET ${path} ms (1000 batches)`] = ms;
  }
  return {
    name: "live UI overhead (ManualClock, 1000 retained batches)",
    figures,
    ratios,
    notes: [`${batches} batches of 10 records after 1000 warm-up batches; HTTP: median of ${requests} requests`, "per-batch figures are CPU of the batch loop only: with 1 s batches, 1 ms is 0.1% of the interval"],
  };
}

if (isMain(import.meta.url)) await main(run);
