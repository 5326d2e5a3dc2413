import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { TestReceiver } from "../test-support/test-receiver.js";

const tempDir = tempDirs("dstream-ui-rest-");

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

// Spark's classes in org.apache.spark.status.api.v1.streaming (api.scala), every field; `None`
// fields are left out of the JSON, so the optional ones may be missing.
const STATISTICS = ["startTime", "batchDuration", "numReceivers", "numActiveReceivers", "numInactiveReceivers", "numTotalCompletedBatches", "numRetainedCompletedBatches", "numActiveBatches", "numProcessedRecords", "numReceivedRecords", "avgInputRate", "avgSchedulingDelay", "avgProcessingTime", "avgTotalDelay"];
const RECEIVER = ["streamId", "streamName", "isActive", "executorId", "executorHost", "lastErrorTime", "lastErrorMessage", "lastError", "avgEventRate", "eventRates"];
const BATCH = ["batchId", "batchTime", "status", "batchDuration", "inputSize", "schedulingDelay", "processingTime", "totalDelay", "numActiveOutputOps", "numCompletedOutputOps", "numFailedOutputOps", "numTotalOutputOps", "firstFailureReason"];
const OPERATION = ["outputOpId", "name", "description", "startTime", "endTime", "duration", "failureReason", "jobIds"];
const SPARK_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}GMT$/;

async function job(options: { failAt?: number; clock?: ManualClock; dir?: string } = {}) {
  const clock = options.clock ?? new ManualClock();
  const dir = options.dir ?? (await tempDir());
  ssc = new StreamingContext({ batchDuration: 1000, clock, appName: "rest-job", checkpointDir: dir, ui: { port: 0 } });
  const receiver = new TestReceiver<string>({ name: "words" });
  const words = ssc.receiverStream(receiver);
  words
    .map((w) => [w, 1] as [string, number])
    .updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0))
    .foreachRDD(() => undefined);
  words.foreachRDD((_rdd, t) => {
    if (t === options.failAt) throw new Error(`sink refused batch ${t}`);
  });
  await ssc.start();
  const url = ssc.uiUrl as string;
  const api = `${url}api/v1/applications/rest-job/streaming/`;
  return { clock, receiver, url, api, dir, ctx: ssc };
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return res.json();
}

function keysWithin(obj: Record<string, unknown>, allowed: string[], required: string[]): void {
  for (const k of Object.keys(obj)) expect(allowed, `unexpected field ${k}`).toContain(k);
  for (const k of required) expect(obj, `missing field ${k}`).toHaveProperty(k);
}

describe("the UI's REST API (Spark's streaming API v1)", () => {
  it("answers Spark's paths with Spark's field names", async () => {
    const { clock, receiver, api, url } = await job();
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k <= i; k++) receiver.store(`w${k}`);
      await clock.advance(1000);
    }
    receiver.reportError("upstream hiccup", new Error("connection reset"));

    const apps = await getJson(`${url}api/v1/applications`);
    expect(apps).toHaveLength(1);
    expect(apps[0].id).toBe("rest-job");
    expect(apps[0].name).toBe("rest-job");
    keysWithin(apps[0].attempts[0], ["startTime", "endTime", "lastUpdated", "duration", "sparkUser", "completed", "appSparkVersion", "startTimeEpoch", "endTimeEpoch", "lastUpdatedEpoch"], ["startTime", "completed"]);
    expect(apps[0].attempts[0].completed).toBe(false);

    const stats = await getJson(`${api}statistics`);
    keysWithin(stats, STATISTICS, STATISTICS);
    expect(stats.startTime).toMatch(SPARK_DATE);
    expect(stats).toMatchObject({ batchDuration: 1000, numReceivers: 1, numActiveReceivers: 1, numInactiveReceivers: 0, numTotalCompletedBatches: 3, numRetainedCompletedBatches: 3, numActiveBatches: 0, numProcessedRecords: 6, numReceivedRecords: 6 });
    expect(stats.avgInputRate).toBeCloseTo(2, 6);

    const receivers = await getJson(`${api}receivers`);
    expect(receivers).toHaveLength(1);
    keysWithin(receivers[0], RECEIVER, RECEIVER);
    expect(receivers[0]).toMatchObject({ streamId: 0, streamName: "words", isActive: true, lastErrorMessage: "upstream hiccup", avgEventRate: 2, eventRates: [[1000, 1], [2000, 2], [3000, 3]] });
    expect(receivers[0].lastError).toContain("connection reset");
    expect(receivers[0].lastErrorTime).toMatch(SPARK_DATE);
    expect(await getJson(`${api}receivers/0`)).toEqual(receivers[0]);

    const batches = await getJson(`${api}batches`);
    expect(batches.map((b: { batchId: number }) => b.batchId)).toEqual([3000, 2000, 1000]);
    for (const b of batches) keysWithin(b, BATCH, BATCH.filter((k) => k !== "firstFailureReason"));
    expect(batches[0]).toMatchObject({ batchTime: "1970-01-01T00:00:03.000GMT", status: "COMPLETED", batchDuration: 1000, inputSize: 3, numActiveOutputOps: 0, numCompletedOutputOps: 2, numFailedOutputOps: 0, numTotalOutputOps: 2 });
    expect(await getJson(`${api}batches?status=COMPLETED`)).toHaveLength(3);
    expect(await getJson(`${api}batches?status=QUEUED&status=PROCESSING`)).toEqual([]);
    expect((await fetch(`${api}batches?status=DONE`)).status).toBe(400);

    expect(await getJson(`${api}batches/2000`)).toEqual(batches[1]);
    const ops = await getJson(`${api}batches/2000/operations`);
    expect(ops.map((o: { outputOpId: number }) => o.outputOpId)).toEqual([0, 1]);
    for (const o of ops) keysWithin(o, OPERATION, ["outputOpId", "name", "description", "startTime", "endTime", "duration", "jobIds"]);
    expect(ops[0]).toMatchObject({ name: "foreachRDD", startTime: "1970-01-01T00:00:02.000GMT", duration: 0, jobIds: [] });
    expect(await getJson(`${api}batches/2000/operations/1`)).toEqual(ops[1]);
    expect((await fetch(`${api}batches/2000/operations/7`)).status).toBe(404);
    expect((await fetch(`${api}batches/999`)).status).toBe(404);
    expect((await fetch(`${url}api/v1/applications/other-app/streaming/statistics`)).status).toBe(404);
  });

  it("shows state, commits and recovery; a failed output operation is the batch's first failure reason", async () => {
    const { clock, receiver, api } = await job({ failAt: 3000 });
    receiver.store("a");
    receiver.store("b");
    await clock.advance(2000);
    receiver.store("c");
    await expect(clock.advance(1000)).rejects.toThrow(/sink refused batch 3000/);

    const failed = await getJson(`${api}batches/3000`);
    expect(failed).toMatchObject({ status: "COMPLETED", numFailedOutputOps: 1, firstFailureReason: "sink refused batch 3000" });
    const ops = await getJson(`${api}batches/3000/operations`);
    expect(ops.find((o: { failureReason?: string }) => o.failureReason !== undefined)).toMatchObject({ outputOpId: 1, failureReason: "sink refused batch 3000" });

    const state = await getJson(`${api}state`);
    // The state operator (output 0) ran in batch 3000 before output 1 failed: in memory it holds
    // "c" too, which the failed batch never committed (a restart re-runs it).
    expect(state).toEqual([expect.objectContaining({ kind: "StateDStream", keys: 3 })]);
    const cps = await getJson(`${api}checkpoints`);
    // Batches 1000 and 2000 committed; 3000 failed before its commit.
    expect(cps.commits.map((c: { batchTime: number }) => c.batchTime)).toEqual([2000, 1000]);
    for (const c of cps.commits) expect(c.bytes).toBeGreaterThan(0);
    const rec = await getJson(`${api}recovery`);
    expect(rec).toMatchObject({ recovered: false, rerunBatches: [], caughtUpBatches: [] });
    const inputs = await getJson(`${api}inputs`);
    expect(inputs[0]).toMatchObject({ streamId: 0, name: "words", kind: "receiver", rateLimit: null, backpressure: false });
  });

  it("shows what the last start recovered: the batch that failed re-runs, missed batch times catch up", async () => {
    const first = await job({ failAt: 2000 });
    first.receiver.store("a");
    await first.clock.advance(1000);
    first.receiver.store("b");
    await expect(first.clock.advance(1000)).rejects.toThrow(/sink refused/);
    await first.ctx.stop();
    // Down for two more batch intervals, then started again on the same checkpoint.
    await first.clock.advance(2000);
    const second = await job({ clock: first.clock, dir: first.dir });
    const rec = await getJson(`${second.api}recovery`);
    expect(rec).toMatchObject({ checkpointDir: first.dir, recovered: true, lastCommittedTime: 1000, rerunBatches: [2000], caughtUpBatches: [3000, 4000], restoredKeys: { "2": 1 } });
    expect(rec.restoreMs).toBeGreaterThanOrEqual(0);
    const batches = await getJson(`${second.api}batches`);
    expect(batches.map((b: { batchId: number; inputSize: number }) => [b.batchId, b.inputSize])).toEqual([[4000, 0], [3000, 0], [2000, 1]]);
  });

  it("shows an event-time window operator's watermark and late records", async () => {
    const clock = new ManualClock();
    const readings: [string, number][][] = [[["a", 1_000], ["a", 9_000]], [["a", 2_000], ["b", 12_000]], [["c", 30_000]], [["a", 500]]];
    ssc = new StreamingContext({ batchDuration: 1000, clock, appName: "rest-job", checkpointDir: await tempDir(), ui: { port: 0 } });
    const events = ssc.queueStream(readings).withWatermark(([, t]) => t, 5_000);
    events.map(([k]): [string, number] => [k, 1]).windowedReduceByKey((x, y) => x + y, { size: 10_000 }).name("windows").foreachRDD(() => undefined);
    events.lateRecords().foreachRDD(() => undefined);
    await ssc.start();
    const windows = async () => (await getJson(`${ssc?.uiUrl}api/v1/applications/rest-job/streaming/state`)).find((s: { operatorId: string }) => s.operatorId === "windows");
    await clock.advance(2000);
    // Batch 2 ran with the watermark 9,000 − 5,000 = 4,000; ("a", 2,000) still had its window [0, 10,000) open.
    expect(await windows()).toMatchObject({ watermark: 4000, lateRecords: 0 });
    await clock.advance(2000);
    // Batch 4: watermark 30,000 − 5,000 = 25,000; ("a", 500) is late.
    expect(await windows()).toMatchObject({ watermark: 25_000, lateRecords: 1 });
  });

  it("serves /metrics in Prometheus text format", async () => {
    const { clock, receiver, url } = await job();
    receiver.store("x");
    await clock.advance(2000);
    const res = await fetch(`${url}metrics`);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const samples = new Map<string, number>();
    for (const line of text.trimEnd().split("\n")) {
      if (line.startsWith("#")) {
        expect(line).toMatch(/^# (HELP|TYPE) [a-z_]+ .+$/);
        continue;
      }
      const m = /^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+-]+)$/.exec(line);
      expect(m, line).not.toBeNull();
      samples.set(`${m![1]}${m![2] ?? ""}`, Number(m![3]));
    }
    expect(samples.get('dstream_batches_completed_total{app="rest-job"}')).toBe(2);
    expect(samples.get('dstream_records_processed_total{app="rest-job"}')).toBe(1);
    expect(samples.get('dstream_input_records_total{app="rest-job",stream_id="0",stream="words"}')).toBe(1);
    expect(samples.get('dstream_receiver_active{app="rest-job",stream_id="0",stream="words"}')).toBe(1);
    expect(samples.get('dstream_batch_duration_seconds{app="rest-job"}')).toBe(1);
    expect(text).toMatch(/# TYPE dstream_batches_completed_total counter/);
  });

  it("refuses writes, answers only loopback host names, and listens on 127.0.0.1 only", async () => {
    const { url } = await job();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const res = await fetch(`${url}api/v1/applications`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
    expect((await fetch(url, { method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${url}events`, { method: "HEAD" })).status).toBe(200);
    const port = Number(new URL(url).port);
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/metrics", headers: { Host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(rebound).toBe(421);
    // Any address of this machine other than loopback is refused.
    const external = Object.values(networkInterfaces()).flat().find((i) => i !== undefined && i.family === "IPv4" && !i.internal);
    if (external !== undefined) await expect(fetch(`http://${external.address}:${port}/`)).rejects.toThrow();
  });

  it("pushes each batch to /events as server-sent events, in the REST shapes", async () => {
    const { clock, receiver, url } = await job();
    const res = await fetch(`${url}events`);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    receiver.store("x");
    const advanced = clock.advance(1000);
    const decoder = new TextDecoder();
    while (!text.includes("event: summary")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await advanced;
    await reader.cancel();
    const events = text.split("\n\n").filter((f) => f.startsWith("event: ")).map((f) => ({ name: /^event: (\w+)/.exec(f)?.[1], data: JSON.parse(f.slice(f.indexOf("data: ") + 6)) }));
    const completed = events.find((e) => e.name === "batch" && e.data.status === "COMPLETED");
    expect(completed?.data).toMatchObject({ batchId: 1000, inputSize: 1, numCompletedOutputOps: 2 });
    const summary = events.find((e) => e.name === "summary")?.data;
    expect(Object.keys(summary).sort()).toEqual(["application", "checkpoints", "group", "inputs", "receivers", "recovery", "state", "statistics"]);
    expect(summary.group).toBeNull(); // a job that runs alone (see group-panel.test.ts for a member)
    expect(summary.statistics.numTotalCompletedBatches).toBe(1);
  });

  it("moves one port up when its port is taken, as Spark does", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), ui: { port: taken } });
      ssc.queueStream([[1]]).foreachRDD(() => undefined);
      await ssc.start();
      const port = Number(new URL(ssc.uiUrl as string).port);
      expect(port).toBeGreaterThan(taken);
      expect(port).toBeLessThanOrEqual(taken + 16);
    } finally {
      blocker.close();
    }
  });

  it("checks the ui option", () => {
    expect(() => new StreamingContext({ batchDuration: 1000, ui: { port: 70000 } })).toThrow(RangeError);
    expect(() => new StreamingContext({ batchDuration: 1000, ui: { host: "" } })).toThrow(TypeError);
    expect(new StreamingContext({ batchDuration: 1000 }).uiUrl).toBeUndefined();
  });
});
