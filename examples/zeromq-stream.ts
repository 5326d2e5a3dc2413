/**
 * ZeroMQ stream: running word totals over the messages of a PUB socket, read with `zeroMqStream`
 * (a SUB socket). ZeroMQ has no acknowledgements: at-most-once, a crash loses the messages of the
 * block being received. Run alone, it binds a PUB socket on 127.0.0.1 and publishes a few messages
 * every 200 ms on topic "words"; with `--endpoint` it connects to an existing publisher.
 *
 *   node --import tsx --conditions=dstream-source examples/zeromq-stream.ts [--seconds 5]
 *     [--endpoint tcp://host:port] [--topic words]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Publisher } from "zeromq";
import { Seconds, StreamingContext } from "dstream";
import { numberArg, runFor, stringArg } from "./demo.js";
import { printTotals, wordTotals } from "./message-totals.js";
import { isMain, runMain } from "./run-main.js";

async function main(): Promise<void> {
  const topic = stringArg("topic", "words");
  let endpoint = stringArg("endpoint", "");
  const scratch = mkdtempSync(join(tmpdir(), "dstream-zeromq-example-"));
  let pub: Publisher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (endpoint === "") {
    const p = new Publisher();
    pub = p;
    await p.bind("tcp://127.0.0.1:*");
    endpoint = p.lastEndpoint as string;
    let i = 0;
    timer = setInterval(() => void p.send([topic, `hello zeromq ${i++ % 3}`]).catch(() => undefined), 200);
  }
  try {
    const ssc = await StreamingContext.getOrCreate(join(scratch, "cp"), () => {
      const ssc = new StreamingContext({ batchDuration: Seconds(1) });
      printTotals(wordTotals(ssc.zeroMqStream({ endpoint, type: "sub", topics: [topic] })));
      return ssc;
    });
    await runFor(ssc, numberArg("seconds", 5));
  } finally {
    clearInterval(timer);
    pub?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(main);
