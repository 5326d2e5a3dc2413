/**
 * Real processes against real brokers: a child job (jobs/mq-job.ts) reads N persistent messages
 * from RabbitMQ, or N QoS 1 messages from Mosquitto, through the reliable receivers, and is killed
 * with SIGKILL again and again and restarted until it has counted N. Kills come from inside the
 * job right after a block is durable and before its acknowledgements leave (so the broker
 * redelivers messages the WAL holds) and from the parent at random moments. Then the
 * exactly-once sink (saveAsTextFiles) must hold every message exactly once.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/mq-sigkill.test.ts
 * (DSTREAM_DEEP=1: more kills, and 20,000 RabbitMQ messages.)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MQTT_URL, testTopic } from "../lib/sources/mqtt/test-broker.js";
import { RABBITMQ_URL, testQueue } from "../lib/sources/rabbitmq/test-queue.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { runChild, type ChildRun } from "./support/child-job.js";
import { deep, prng, seedFor } from "./support/seed.js";

const CHILD_TIMEOUT = 60_000;
const root = mkdtempSync(join(tmpdir(), "dstream-mq-sigkill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const job = fileURLToPath(new URL("./jobs/mq-job.ts", import.meta.url));
const rabbit = await serviceAvailable("rabbitmq");
const mosquitto = await serviceAvailable("mosquitto");

/** Runs the job once; `killAfterMs`: the parent kills it that long after its first commit. */
async function runJob(env: Record<string, string>, killAfterMs: number | undefined): Promise<ChildRun & { done: string | undefined; duplicates: number }> {
  let done: string | undefined;
  // Redeliveries the run dropped as duplicates: its last report.
  let duplicates = 0;
  const run = await runChild(job, env, killAfterMs, (line) => {
    const f = line.split(" ");
    if (f[0] === "done") done = f[1];
    if (f[0] === "duplicates") duplicates = Number(f[1]);
  }, CHILD_TIMEOUT);
  return { ...run, done, duplicates };
}

/** Kills and restarts the job until it is done; then checks the sink holds 0..n-1 exactly once. */
async function killUntilDone(name: string, n: number, brokerEnv: Record<string, string>): Promise<void> {
  const seed = seedFor(name);
  const random = prng(seed);
  const dir = join(root, name, "checkpoint");
  const out = join(root, name, "out");
  mkdirSync(out, { recursive: true });
  const base = { ...brokerEnv, DSTREAM_JOB_DIR: dir, DSTREAM_JOB_OUT: out, DSTREAM_JOB_RECORDS: String(n) };
  // First the crash right after a durable block (the window's case), then random parent kills.
  const plan: ({ afterWrite: number } | { afterMs: number })[] = [];
  for (let k = 0; k < (deep ? 10 : 3); k++) plan.push({ afterWrite: 1 + Math.floor(random() * 4) });
  for (let k = 0; k < (deep ? 30 : 6); k++) plan.push({ afterMs: Math.floor(random() * 400) });

  const kills: string[] = [];
  let duplicates = 0;
  let done: string | undefined;
  let runsLeft = plan.length + 5;
  while (done === undefined) {
    if (runsLeft-- === 0) throw new Error(`job not done after ${plan.length + 5} runs; kills: ${kills.join("; ")}`);
    const step = plan.shift();
    const env = step !== undefined && "afterWrite" in step ? { ...base, DSTREAM_CRASH_AFTER_WRITE: String(step.afterWrite) } : base;
    const run = await runJob(env, step !== undefined && "afterMs" in step ? step.afterMs : undefined);
    if (run.killed) kills.push(run.crashPoint ?? `parent kill after ${(step as { afterMs: number }).afterMs} ms`);
    duplicates += run.duplicates;
    done = run.done;
  }
  console.log(`[${name}] ${kills.length} kills survived, ${duplicates} redeliveries dropped as duplicates: ${kills.join("; ")}`);

  const files = readdirSync(out);
  expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  const seen: number[] = [];
  for (const f of files.filter((x) => x.startsWith("records-"))) {
    for (const l of readFileSync(join(out, f), "utf8").split("\n")) if (l !== "") seen.push(Number(l));
  }
  expect(seen.length, "messages in the sink").toBe(n);
  expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(Number(done)).toBe(n);
  expect(kills.filter((k) => k.startsWith("crash-point")).length).toBeGreaterThanOrEqual(1);
  // The crash after a durable block, before its acknowledgements, makes the broker redeliver.
  expect(duplicates).toBeGreaterThan(0);
}

describe("message-queue receivers under SIGKILL", () => {
  it.skipIf(!rabbit)("RabbitMQ: every persistent message counted exactly once", async () => {
    const n = deep ? 20_000 : 3000;
    const queue = await testQueue("dstream-sigkill");
    try {
      // Half with a message-id, half identified by a hash of the body.
      await queue.publish(
        Array.from({ length: n }, (_, i) => String(i)),
        { messageIds: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `m${i}` : undefined)) },
      );
      await killUntilDone("mq-sigkill-rabbitmq", n, { DSTREAM_MQ: "rabbitmq", DSTREAM_MQ_URL: RABBITMQ_URL, DSTREAM_MQ_QUEUE: queue.name, DSTREAM_MQ_RATE: "1000" });
      expect(await queue.ready()).toBe(0);
    } finally {
      await queue.remove();
    }
  }, deep ? 1_200_000 : 300_000);

  it.skipIf(!mosquitto)("MQTT QoS 1: every message counted exactly once", async () => {
    // Mosquitto queues at most 1000 messages for an offline session (max_queued_messages).
    const n = 1000;
    const topic = await testTopic("sigkill");
    try {
      await topic.createSession(1);
      await topic.publish(Array.from({ length: n }, (_, i) => String(i)), 1);
      await killUntilDone("mq-sigkill-mqtt", n, { DSTREAM_MQ: "mqtt", DSTREAM_MQ_URL: MQTT_URL, DSTREAM_MQ_TOPIC: topic.topic, DSTREAM_MQ_CLIENT: topic.clientId, DSTREAM_MQ_RATE: "100" });
    } finally {
      await topic.remove();
    }
  }, deep ? 1_200_000 : 300_000);
});
