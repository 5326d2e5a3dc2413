/**
 * MQTT stream: running word totals over the messages of a topic, read with `mqttStream` at QoS 1
 * through a persistent session: a message's PUBACK is held until the block holding it is in the
 * WAL, and a resend (DUP) after a crash is dropped when the WAL already holds it. Run alone, it
 * publishes a few QoS 1 messages every 200 ms on `dstream/example/<pid>` and removes the session at
 * the end; with `--topic` it subscribes to an existing topic and publishes nothing.
 *
 *   node --import tsx --conditions=dstream-source examples/mqtt-stream.ts [--seconds 5]
 *     [--url mqtt://127.0.0.1:1883] [--topic filter] [--client-id id] [--checkpoint dir]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { Seconds, StreamingContext } from "dstream";
import { numberArg, runFor, stringArg } from "./demo.js";
import { printTotals, wordTotals } from "./message-totals.js";
import { isMain, runMain } from "./run-main.js";

async function main(): Promise<void> {
  const url = stringArg("url", "mqtt://127.0.0.1:1883");
  const own = stringArg("topic", "") === "";
  const topic = own ? `dstream/example/${process.pid}` : stringArg("topic", "");
  const clientId = stringArg("client-id", `dstream-example-${process.pid}`);
  const scratch = mkdtempSync(join(tmpdir(), "dstream-mqtt-example-"));
  const checkpoint = stringArg("checkpoint", join(scratch, "cp"));
  const publisher = own ? await mqtt.connectAsync(url, { clientId: `${clientId}-pub`, protocolVersion: 5 }) : undefined;
  let i = 0;
  const timer = publisher === undefined ? undefined : setInterval(() => {
    for (const m of [`hello mqtt ${i++ % 3}`, "hello again"]) void publisher.publishAsync(topic, m, { qos: 1 });
  }, 200);
  try {
    const ssc = await StreamingContext.getOrCreate(checkpoint, () => {
      const ssc = new StreamingContext({ batchDuration: Seconds(1) });
      printTotals(wordTotals(ssc.mqttStream({ url, topics: [topic], clientId, qos: 1 })));
      return ssc;
    });
    await runFor(ssc, numberArg("seconds", 5));
  } finally {
    clearInterval(timer);
    await publisher?.endAsync().catch(() => undefined);
    if (own) {
      // Clean Start ends the example's persistent session at the broker.
      const c = await mqtt.connectAsync(url, { clientId, clean: true, protocolVersion: 5 }).catch(() => undefined);
      await c?.endAsync().catch(() => undefined);
    }
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(main);
