/**
 * (Runs alone, after the other tests: see vitest.config.ts.)
 * A broker restarted under a running job: the receiver reports the lost connection, reconnects
 * with backoff once the broker is back, and nothing it acknowledged is lost (nor counted twice).
 * Other test runs use these brokers too: the outage is kept short, and the broker is always
 * brought back (finally), waiting until it listens again.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import type { ReceiverStream } from "../receiver/receiver-input-dstream.js";
import { StreamingContext } from "../streaming-context.js";
import { serviceAvailable } from "../test-support/services.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { MqttReceiver } from "./mqtt/mqtt-receiver.js";
import { MQTT_URL, testTopic, type TestTopic } from "./mqtt/test-broker.js";
import { RabbitMqReceiver } from "./rabbitmq/rabbitmq-receiver.js";
import { RABBITMQ_URL, testQueue, type TestQueue } from "./rabbitmq/test-queue.js";

const run = promisify(execFile);
const tempDir = tempDirs("dstream-broker-restart-");
const rabbit = await serviceAvailable("rabbitmq");
const mosquitto = await serviceAvailable("mosquitto");
const WAIT = { timeout: 60_000, interval: 50 };

let ssc: StreamingContext | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await cleanup?.();
  cleanup = undefined;
});

// A safety net behind each test's finally: whatever happened, the brokers run again afterwards.
afterAll(async () => {
  if (rabbit && !(await listening(5672))) await run("rabbitmqctl", ["start_app"]).catch(() => undefined);
  if (mosquitto && !(await listening(1883))) await run("mosquitto", ["-d", "-c", "/etc/mosquitto/mosquitto.conf"]).catch(() => undefined);
}, 120_000);

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => (s.destroy(), resolve(false)));
  });
}

async function untilListening(port: number, want: boolean): Promise<void> {
  await vi.waitFor(async () => expect(await listening(port)).toBe(want), WAIT);
}

/** A job on a ManualClock with one receiver stream; its batches go to `out`. */
async function job(receiver: RabbitMqReceiver<string> | MqttReceiver<string>, out: string[]): Promise<{ clock: ManualClock; stream: ReceiverStream<string>; errors: string[] }> {
  const clock = new ManualClock();
  const s = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: await tempDir() });
  const stream = s.receiverStream(receiver);
  stream.foreachRDD((rdd) => void out.push(...rdd.collect()));
  const errors: string[] = [];
  s.addStreamingListener({ onReceiverError: (e) => void errors.push(e.receiverInfo.lastErrorMessage ?? "") });
  ssc = s;
  await s.start();
  return { clock, stream, errors };
}

/** Advances the clock (the reconnect backoff runs on it) until `cond` holds. */
async function advanceUntil(clock: ManualClock, cond: () => void): Promise<void> {
  await vi.waitFor(async () => {
    await clock.advance(500);
    cond();
  }, WAIT);
}

describe.skipIf(!rabbit)("RabbitMQ restarted under a running job", () => {
  it("reconnects, and every message is counted once", async () => {
    const queue: TestQueue = await testQueue("dstream-restart");
    cleanup = () => queue.remove();
    const receiver = new RabbitMqReceiver<string>({ url: RABBITMQ_URL, queue: queue.name, prefetch: 20, reconnectDelay: 200 });
    const out: string[] = [];
    const { clock, errors } = await job(receiver, out);
    const n = 2000;
    await queue.publish(Array.from({ length: n / 2 }, (_, i) => String(i)));
    await vi.waitFor(() => expect(receiver.counters.stored).toBeGreaterThan(0), WAIT);
    try {
      // Mid-stream: some messages acknowledged, some stored with their ack in flight, some not delivered.
      await run("rabbitmqctl", ["stop_app"]);
      await vi.waitFor(() => expect(errors.some((e) => /RabbitMQ .* closed; reconnecting/.test(e))).toBe(true), WAIT);
    } finally {
      await run("rabbitmqctl", ["start_app"]);
      await run("rabbitmqctl", ["await_startup"]);
      await untilListening(5672, true);
    }
    await queue.publish(Array.from({ length: n / 2 }, (_, i) => String(n / 2 + i)));
    await advanceUntil(clock, () => expect(new Set(out).size).toBe(n));
    await clock.advance(1000);
    expect(out.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(receiver.counters.stored).toBe(n);
    expect(await queue.ready()).toBe(0);
  }, 120_000);
});

describe.skipIf(!mosquitto)("Mosquitto restarted under a running job", () => {
  it("reconnects to its persistent session, and every QoS 1 message is counted once", async () => {
    const topic: TestTopic = await testTopic("restart");
    cleanup = () => topic.remove();
    await topic.createSession(1);
    const receiver = new MqttReceiver<string>({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId, receiveMaximum: 20, reconnectDelay: 200 });
    const out: string[] = [];
    const { clock, errors } = await job(receiver, out);
    const n = 1000;
    await topic.publish(Array.from({ length: n / 2 }, (_, i) => String(i)));
    await vi.waitFor(() => expect(receiver.counters.stored).toBeGreaterThan(0), WAIT);
    try {
      // SIGTERM: Mosquitto writes its persistence file (sessions, queued messages) and exits.
      const pid = (await readFile("/run/mosquitto/mosquitto.pid", "utf8")).trim();
      await run("kill", ["-TERM", pid]);
      await untilListening(1883, false);
      await vi.waitFor(() => expect(errors.some((e) => /MQTT connection .* closed; reconnecting/.test(e))).toBe(true), WAIT);
    } finally {
      if (!(await listening(1883))) await run("mosquitto", ["-d", "-c", "/etc/mosquitto/mosquitto.conf"]);
      await untilListening(1883, true);
    }
    await topic.publish(Array.from({ length: n / 2 }, (_, i) => String(n / 2 + i)));
    // Mosquitto resends (DUP, same packet id) every message whose PUBACK it had not processed when
    // it stopped: those in the WAL are recognised and dropped, the rest stored once.
    await advanceUntil(clock, () => expect(new Set(out).size).toBe(n));
    await clock.advance(1000);
    expect(out.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(receiver.counters.stored).toBe(n);
  }, 120_000);
});
