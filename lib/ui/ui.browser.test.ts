import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { StreamingContext } from "../streaming-context.js";
import { chromiumAvailable, launchChromium } from "../test-support/chromium.js";
import { NATS_URL, testStream, type TestStream } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { TestReceiver } from "../test-support/test-receiver.js";
import { WorkClock } from "../test-support/work-clock.js";

const tempDir = tempDirs("dstream-ui-browser-");
const hasChromium = chromiumAvailable();
const nats = await serviceAvailable("nats");

let ssc: StreamingContext | undefined;
let browser: BrowserContext | undefined;
let jetStream: TestStream | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await ssc?.stop();
  ssc = undefined;
  await jetStream?.remove();
  jetStream = undefined;
});

/** Screenshots go to DSTREAM_UI_SCREENSHOTS when set (to look at them), else to a temp dir. */
async function shotDir(): Promise<string> {
  return process.env.DSTREAM_UI_SCREENSHOTS ?? (await tempDir());
}

// Predicates run in the page (Playwright sends their source); these name its globals for tsc.
declare const document: any;
declare const DstreamCharts: { points(id: string): number };

/** Waits (polling, with a deadline) until `fn(arg)` is true in the page; `fn` runs there. */
async function until(page: Page, what: string, fn: (arg: number) => unknown, arg = 0): Promise<void> {
  try {
    await page.waitForFunction(fn, arg, { timeout: 20_000, polling: 50 });
  } catch (err) {
    throw new Error(`page never showed: ${what}`, { cause: err });
  }
}

/**
 * A word count with state on a WorkClock, where each record costs 0.3 ms of clock time plus
 * 40 ms per batch, so the charts have something to show; the sink fails at `failAt`.
 */
async function startJob() {
  const clock = new WorkClock(Date.UTC(2024, 0, 1, 12, 0, 0));
  const dir = await tempDir();
  const control = { failAt: undefined as number | undefined };
  ssc = new StreamingContext({ batchDuration: 1000, clock, appName: "sensor-counts", checkpointDir: dir, checkpointOptions: { snapshotInterval: 3 }, ui: { port: 0 }, backpressure: true });
  const sensors = new TestReceiver<string>({ name: "sensors", maxRate: 5000 });
  const alarms: string[][] = [];
  const readings = ssc.receiverStream(sensors);
  const counts = readings.map((r) => [r, 1] as [string, number]).reduceByKey((a, b) => a + b);
  counts.updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0)).name("totals").foreachRDD(() => undefined);
  ssc.union(readings, ssc.queueStream(alarms, { defaultBatch: [] })).foreachRDD((rdd, t) => {
    // Every 13th batch stalls (a slow sink): the next batches wait, and the charts show it.
    clock.work(40 + rdd.count() * 0.3 + ((t / 1000) % 13 === 12 ? 1600 : 0));
    if (t === control.failAt) throw new Error(`sink rejected batch ${t}: connection refused by warehouse`);
  });
  let completed = 0;
  ssc.addStreamingListener({ onBatchCompleted: () => void completed++ });
  await ssc.start();
  let i = 0;
  const batch = async (): Promise<void> => {
    // A wave, so the rates and delays vary from batch to batch.
    const n = 400 + Math.round(300 * Math.sin(i / 2)) + (i % 3) * 120;
    for (let k = 0; k < n; k++) sensors.store(`sensor-${k % 17}`);
    if (i % 2 === 0) alarms.push(Array.from({ length: 50 + (i % 5) * 30 }, (_, k) => `sensor-${k % 5}`));
    i++;
    await clock.advance(1000);
  };
  return { clock, control, batch, completed: () => completed, url: ssc.uiUrl as string };
}

/** In the page: `n` rows in the completed table and `n` points on each of the four timelines. */
const rowsAndPoints = (n: number): boolean =>
  document.querySelectorAll("#completed-batches tr[data-batch-row]").length === n &&
  ["tl-input", "tl-scheduling", "tl-processing", "tl-total"].every((id: string) => DstreamCharts.points(id) === n);

describe.skipIf(!hasChromium)("the live UI in headless Chromium", () => {
  it("grows its charts and batch table as the clock advances, shows a batch's operations and a failed batch's error, without console errors", async () => {
    const job = await startJob();
    browser = await launchChromium(await tempDir());
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    const shots = await shotDir();

    await page.goto(job.url);
    await until(page, "the live indicator", () => document.querySelector("#live").classList.contains("on"));
    await until(page, "an empty completed table", () => document.querySelector("#completed-batches td.empty") !== null);
    expect(await page.textContent("#app-name")).toBe("sensor-counts");

    for (let b = 0; b < 5; b++) await job.batch();
    expect(job.completed()).toBe(5);
    await until(page, "5 completed batches and 5 points per timeline", rowsAndPoints, 5);

    // A stalled batch (the 13th) makes later advances run more than one batch each.
    for (let b = 0; b < 25; b++) await job.batch();
    const n = job.completed();
    expect(n).toBeGreaterThanOrEqual(30);
    await until(page, `${n} completed batches and ${n} points per timeline`, rowsAndPoints, n);
    expect(await page.textContent("#avg-scheduling")).not.toBe("Avg: 0 ms");
    // Each input has its line on the input-rate chart (two inputs), the receiver its rate limit.
    expect(await page.locator("#input-legend div").allTextContents()).toEqual([expect.stringMatching(/^sensors \(limit [\d.]+k?\/s\)$/), "QueueInputDStream-1", "dashed: rate limit"]);
    expect(await page.textContent("#inputs")).toContain("sensors");
    expect(await page.textContent("#inputs")).toMatch(/\(backpressure\)/);
    await until(page, "the state operator's keys", () => document.querySelector("#state").textContent.includes("totals") && document.querySelector("#state").textContent.includes("17"));
    await until(page, "commits", () => document.querySelectorAll("#commits tbody tr").length > 5);
    await until(page, "snapshots", () => document.querySelectorAll("#snapshots tbody tr").length > 0 && !document.querySelector("#snapshots td.empty"));
    await page.screenshot({ path: join(shots, "ui-live.png"), fullPage: false });
    await page.screenshot({ path: join(shots, "ui-live-full.png"), fullPage: true });

    // The batch page: its output operations, their durations.
    await page.click("#completed-batches tr[data-batch-row]:last-child a");
    await until(page, "the batch page", () => document.querySelectorAll("#operations tbody tr").length === 2);
    const ops = await page.textContent("#operations");
    expect(ops).toContain("foreachRDD");
    expect(ops).toContain("Succeeded");

    // A failing sink: the batch fails, the context stops, the page says why.
    job.control.failAt = job.clock.now() - (job.clock.now() % 1000) + 1000;
    await expect(job.batch()).rejects.toThrow(/connection refused by warehouse/);
    await until(page, "the failure banner", () => !document.querySelector("#failure").hidden && document.querySelector("#failure").textContent.includes("connection refused by warehouse"));
    await until(page, "a failed row", () => document.querySelector("#completed-batches tr.failed td.error")?.textContent.includes("connection refused by warehouse"));
    expect(await page.textContent("#app-state")).toBe("failed");
    await page.click(`#completed-batches tr.failed a`);
    await until(page, "the failed operation", () => document.querySelector("#operations tr.failed")?.textContent.includes("Failed"));
    expect(await page.textContent("#operations tr.failed")).toContain("sink rejected batch");
    await page.screenshot({ path: join(shots, "ui-failed.png"), fullPage: true });

    expect(problems).toEqual([]);
  });
});

describe.skipIf(!hasChromium || !nats)("the live UI of a jetStream input", () => {
  it("shows a row per partition (offset, last batch's records, lag, rate limit) on the page and in the inputs API, not among Spark's receivers", async () => {
    const s = (jetStream = await testStream());
    const clock = new WorkClock(Date.UTC(2024, 0, 1, 12, 0, 0));
    ssc = new StreamingContext({ batchDuration: 1000, clock, appName: "orders", ui: { port: 0 }, backpressure: true });
    // 4 ms of clock time a record (250/s) for 400 records/s, 3 of 4 on partition 0: backpressure cuts the ranges.
    ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: 2, maxRatePerPartition: 300 }).foreachRDD((rdd) => clock.work(rdd.count() * 4));
    await ssc.start();
    let published = 0;
    for (let b = 0; b < 8; b++) {
      const due = Math.floor(((clock.now() - Date.UTC(2024, 0, 1, 12, 0, 0) + 1000) * 400) / 1000);
      const sends: Promise<number>[] = [];
      for (; published < due; published++) sends.push(s.publish(published % 4 === 3 ? 1 : 0, `order-${published}`));
      await Promise.all(sends);
      await clock.advance(1000);
    }
    const api = `${ssc.uiUrl as string}api/v1/applications/orders/streaming/`;
    expect(await (await fetch(`${api}receivers`)).json()).toEqual([]);
    const [input] = (await (await fetch(`${api}inputs`)).json()) as any[];
    expect(input.kind).toBe("JetStreamInputDStream");
    expect(input.partitions).toHaveLength(2);
    for (const p of input.partitions) {
      expect(Object.keys(p).sort()).toEqual(["lag", "lastBatchRecords", "offset", "partition", "rateLimit"]);
      expect(p.offset).toBeGreaterThan(0);
      expect(p.lastBatchRecords).toBeGreaterThan(0);
      expect(p.lag).toBeGreaterThan(0);
      // The partition's share of the input's rate, never above maxRatePerPartition.
      expect(p.rateLimit).toBeGreaterThan(0);
      expect(p.rateLimit).toBeLessThanOrEqual(300);
    }
    // Shared by lag: partition 0 gets three times the input, so the larger share.
    expect(input.partitions[0].rateLimit).toBeGreaterThan(input.partitions[1].rateLimit);
    expect(input.pendingRecords).toBe(input.partitions[0].lag + input.partitions[1].lag);

    browser = await launchChromium(await tempDir());
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(ssc.uiUrl as string);
    await until(page, "two partition rows", () => document.querySelectorAll("#partitions tr[data-partition-row]").length === 2);
    const rows = await page.locator("#partitions tr[data-partition-row]").evaluateAll((trs: any[]) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td: any) => td.textContent)));
    const fmt = (n: number): string => n.toLocaleString("en-US");
    for (const [i, p] of (input.partitions as any[]).entries()) {
      expect(rows[i]).toEqual([`JetStreamInputDStream-0 [0]`, String(p.partition), fmt(p.offset), fmt(p.lastBatchRecords), fmt(p.lag), expect.stringMatching(/^[\d.]+\/s \(backpressure\)$/)]);
    }
    await page.locator("#partitions").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(await shotDir(), "ui-jetstream-partitions.png"), fullPage: true });
    expect(problems).toEqual([]);
  });
});
