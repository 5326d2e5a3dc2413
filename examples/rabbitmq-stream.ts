/**
 * RabbitMQ stream: running word totals over the messages of a queue, read with `rabbitMqStream`, a
 * reliable receiver: a message is acknowledged only once the block holding it is in the WAL, and
 * a redelivery after a crash is dropped when the WAL already holds it, so each message counts once.
 * Run alone, it declares a durable queue, publishes a few persistent messages every 200 ms, and
 * deletes the queue at the end; with `--queue` it reads an existing queue and publishes nothing.
 *
 *   node --import tsx --conditions=dstream-source examples/rabbitmq-stream.ts [--seconds 5]
 *     [--url amqp://guest:guest@127.0.0.1:5672] [--queue name] [--checkpoint dir]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { Seconds, StreamingContext } from "dstream";
import { numberArg, runFor, stringArg } from "./demo.js";
import { printTotals, wordTotals } from "./message-totals.js";
import { isMain, runMain } from "./run-main.js";

async function main(): Promise<void> {
  const url = stringArg("url", "amqp://guest:guest@127.0.0.1:5672");
  const own = stringArg("queue", "") === "";
  const queue = own ? `dstream-example-${process.pid}` : stringArg("queue", "");
  const scratch = mkdtempSync(join(tmpdir(), "dstream-rabbitmq-example-"));
  const checkpoint = stringArg("checkpoint", join(scratch, "cp"));
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  let timer: NodeJS.Timeout | undefined;
  if (own) {
    await channel.assertQueue(queue, { durable: true });
    let i = 0;
    timer = setInterval(() => {
      for (const m of [`hello rabbit ${i % 3}`, "hello again"]) channel.sendToQueue(queue, Buffer.from(m), { persistent: true, messageId: `example-${i++}` });
    }, 200);
  }
  try {
    const ssc = await StreamingContext.getOrCreate(checkpoint, () => {
      const ssc = new StreamingContext({ batchDuration: Seconds(1) });
      printTotals(wordTotals(ssc.rabbitMqStream({ url, queue, prefetch: 500 })));
      return ssc;
    });
    await runFor(ssc, numberArg("seconds", 5));
  } finally {
    clearInterval(timer);
    if (own) await channel.deleteQueue(queue).catch(() => undefined);
    await connection.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(main);
