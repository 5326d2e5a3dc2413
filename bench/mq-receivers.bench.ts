/**
 * Receive rates of the message-queue receivers against a bare client consuming the same messages
 * in the same run. Each dstream figure is messages made durable in the WAL (LevelDB checkpoint,
 * synced blocks) per second; the bare clients just count.
 *
 * - RabbitMQ: N persistent messages queued beforehand; amqplib consumer (prefetch 1000, one ack
 *   per message) vs `rabbitMqStream` (prefetch 1000, one ack multiple per block).
 * - MQTT QoS 1 (Mosquitto): a paced publisher (never more than 500 ahead, Mosquitto drops past
 *   1000 queued); bare mqtt.js subscriber (PUBACK as each message is handled) vs "held, one by one"
 *   (handleMessage calls back after a storeMany of that one message: what holding mqtt.js's callback
 *   gives) vs `mqttStream` (acks held by the receiver, many messages per block).
 * - ZeroMQ PUSH → PULL: bare zeromq Pull vs `zeroMqStream` (store(), at-most-once).
 * A broker that is not running is left out (noted).
 *
 *   npx tsx bench/mq-receivers.bench.ts [--smoke]
 */
import amqp from "amqplib";
import mqtt from "mqtt";
import { Pull, Push } from "zeromq";
import { ManualClock } from "../lib/clock.js";
import { Receiver } from "../lib/receiver/receiver.js";
import { MqttReceiver } from "../lib/sources/mqtt/mqtt-receiver.js";
import { MQTT_URL, testTopic } from "../lib/sources/mqtt/test-broker.js";
import { RabbitMqReceiver } from "../lib/sources/rabbitmq/rabbitmq-receiver.js";
import { RABBITMQ_URL, testQueue } from "../lib/sources/rabbitmq/test-queue.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { SERVICES } from "../lib/test-support/services.js";
import { connect } from "node:net";
import { isMain, main, type BenchOptions, type BenchResult } from "./common.js";
import { tempDir } from "./harness.js";

const bodies = (n: number): string[] => Array.from({ length: n }, (_, i) => `message ${i} ${"x".repeat(40)}`);

async function until(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function up(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => (s.destroy(), resolve(false)));
  });
}

/** A started context on a fresh LevelDB checkpoint with `receiver`; `stop` removes it all. */
async function walJob<T>(receiver: Receiver<T>): Promise<{ stop: () => Promise<void> }> {
  const { dir, remove } = tempDir("mq");
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), checkpointDir: dir });
  ssc.receiverStream(receiver).foreachRDD(() => undefined);
  await ssc.start();
  return {
    stop: async () => {
      await ssc.stop();
      remove();
    },
  };
}

/** msgs/s from `t0` to now. */
const rate = (n: number, t0: number): number => n / ((performance.now() - t0) / 1000);

async function rabbitBare(n: number): Promise<number> {
  const q = await testQueue("dstream-bench-bare");
  await q.publish(bodies(n));
  const conn = await amqp.connect(RABBITMQ_URL);
  const ch = await conn.createChannel();
  await ch.prefetch(1000);
  let got = 0;
  const t0 = performance.now();
  await ch.consume(q.name, (m) => {
    if (m === null) return;
    got++;
    ch.ack(m);
  });
  await until(() => got === n, "bare RabbitMQ consumer");
  const r = rate(n, t0);
  await conn.close();
  await q.remove();
  return r;
}

async function rabbitDstream(n: number): Promise<number> {
  const q = await testQueue("dstream-bench-rx");
  await q.publish(bodies(n));
  const receiver = new RabbitMqReceiver<string>({ url: RABBITMQ_URL, queue: q.name, prefetch: 1000 });
  const t0 = performance.now();
  const job = await walJob(receiver);
  await until(() => receiver.counters.stored === n, "rabbitMqStream");
  const r = rate(n, t0);
  await job.stop();
  await q.remove();
  return r;
}

/** Publishes `n` QoS 1 messages, never more than 500 ahead of `received()`; resolves with the rate at the receiver. */
async function mqttRun(n: number, topic: string, received: () => number): Promise<number> {
  const pub = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0, clientId: `dstream-bench-pub-${process.pid}` });
  const all = bodies(n);
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    if (sent - received() >= 500) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const k = Math.min(100, n - sent);
    await Promise.all(all.slice(sent, sent + k).map((b) => pub.publishAsync(topic, b, { qos: 1 })));
    sent += k;
  }
  await until(() => received() === n, `MQTT receiver on ${topic}`);
  const r = rate(n, t0);
  await pub.endAsync();
  return r;
}

async function mqttBare(n: number): Promise<number> {
  const t = await testTopic("bench-bare");
  const sub = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0, clientId: t.clientId, clean: true });
  let got = 0;
  sub.on("message", () => void got++);
  await sub.subscribeAsync(t.topic, { qos: 1 });
  const r = await mqttRun(n, t.topic, () => got);
  await sub.endAsync();
  await t.remove();
  return r;
}

/** The naive reliable MQTT receiver: mqtt.js's handleMessage calls back after that message is durable. */
class HeldOneByOne extends Receiver<string> {
  received = 0;
  private client: mqtt.MqttClient | undefined;
  constructor(private readonly topic: string, private readonly clientId: string) {
    super();
  }
  onStart(): void {
    const client = mqtt.connect(MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0, clientId: this.clientId, clean: true });
    this.client = client;
    client.handleMessage = (packet, callback) => {
      this.storeMany([String(packet.payload)]).then(() => {
        this.received++;
        callback();
      }, callback);
    };
    client.on("connect", () => void client.subscribe(this.topic, { qos: 1 }));
  }
  async onStop(): Promise<void> {
    await this.client?.endAsync(true);
  }
}

async function mqttHeldOneByOne(n: number): Promise<number> {
  const t = await testTopic("bench-held");
  const receiver = new HeldOneByOne(t.topic, t.clientId);
  const job = await walJob(receiver);
  await t.publish(["warm-up"]).catch(() => undefined);
  await until(() => receiver.received >= 1, "subscription");
  const base = receiver.received;
  const r = await mqttRun(n, t.topic, () => receiver.received - base);
  await job.stop();
  await t.remove();
  return r;
}

async function mqttDstream(n: number): Promise<number> {
  const t = await testTopic("bench-rx");
  await t.createSession(1);
  const receiver = new MqttReceiver<string>({ url: MQTT_URL, topics: [t.topic], clientId: t.clientId });
  const job = await walJob(receiver);
  const r = await mqttRun(n, t.topic, () => receiver.counters.stored);
  await job.stop();
  await t.remove();
  return r;
}

async function zmqRun(n: number, consumer: (endpoint: string) => Promise<{ received: () => number; close: () => Promise<void> }>): Promise<number> {
  const push = new Push();
  await push.bind("tcp://127.0.0.1:*");
  const c = await consumer(push.lastEndpoint as string);
  const all = bodies(n);
  const t0 = performance.now();
  for (const b of all) await push.send(b);
  await until(() => c.received() === n, "ZeroMQ consumer");
  const r = rate(n, t0);
  await c.close();
  push.close();
  return r;
}

async function zmqBare(n: number): Promise<number> {
  return zmqRun(n, async (endpoint) => {
    const pull = new Pull();
    pull.connect(endpoint);
    let got = 0;
    void (async () => {
      for await (const [m] of pull) if (m !== undefined) got++;
    })();
    return { received: () => got, close: async () => pull.close() };
  });
}

async function zmqDstream(n: number): Promise<number> {
  return zmqRun(n, async (endpoint) => {
    const { dir, remove } = tempDir("zmq");
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), checkpointDir: dir, blockInterval: 50 });
    const stream = ssc.zeroMqStream({ endpoint, type: "pull" });
    stream.foreachRDD(() => undefined);
    await ssc.start();
    return {
      received: () => stream.pendingRecords,
      close: async () => {
        await ssc.stop();
        remove();
      },
    };
  });
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  if (await up(SERVICES.rabbitmq)) {
    const n = smoke ? 200 : 20_000;
    const bare = await rabbitBare(n);
    const rx = await rabbitDstream(n);
    results.push({
      name: `RabbitMQ receive, ${n} persistent messages`,
      figures: { "bare amqplib consumer msgs/s": bare, "rabbitMqStream (WAL, acks after durable) msgs/s": rx },
      ratios: { "rabbitMqStream / bare": rx / bare },
    });
  } else console.log("RabbitMQ not listening on 127.0.0.1:5672: left out");
  if (await up(SERVICES.mosquitto)) {
    const n = smoke ? 200 : 10_000;
    const bare = await mqttBare(n);
    const held = await mqttHeldOneByOne(smoke ? 50 : 2000);
    const rx = await mqttDstream(n);
    results.push({
      name: `MQTT QoS 1 receive (Mosquitto), ${n} messages`,
      figures: { "bare mqtt.js subscriber msgs/s": bare, "held one by one (callback after storeMany) msgs/s": held, "mqttStream (WAL, acks held per block) msgs/s": rx },
      ratios: { "mqttStream / bare": rx / bare, "mqttStream / held one by one": rx / held },
    });
  } else console.log("Mosquitto not listening on 127.0.0.1:1883: left out");
  const n = smoke ? 200 : 100_000;
  // Stored here means buffered for the next block: at-most-once, as the receiver says.
  const bare = await zmqBare(n);
  const rx = await zmqDstream(n);
  results.push({
    name: `ZeroMQ PUSH → PULL receive, ${n} messages`,
    figures: { "bare zeromq Pull msgs/s": bare, "zeroMqStream (store(), at-most-once) msgs/s": rx },
    ratios: { "zeroMqStream / bare": rx / bare },
  });
  return results;
}

if (isMain(import.meta.url)) await main(run);
