// A job for the SIGTERM tests: it stores five records that no batch has taken yet, says READY, and
// relies on stopGracefullyOnShutdown to process them before the process exits. With
// DSTREAM_HANG_DRAIN=1 the batch that drains them says DRAINING and never finishes (a sink that
// does not answer).
import { Minutes } from "../time.js";
import { TestReceiver } from "./test-receiver.js";
import { StreamingContext } from "../streaming-context.js";

const ssc = new StreamingContext({ batchDuration: Minutes(10), stopGracefullyOnShutdown: true });
const receiver = new TestReceiver<number>();
const hang = process.env.DSTREAM_HANG_DRAIN === "1";
ssc.receiverStream(receiver).foreachRDD(async (rdd, t) => {
  if (rdd.isEmpty()) return;
  if (hang) {
    console.log("DRAINING");
    // Waiting on a server that never answers: something keeps the event loop alive meanwhile.
    await new Promise(() => setInterval(() => undefined, 1000));
  }
  console.log(`batch ${t}: ${rdd.collect().join(",")}`);
});
ssc.addStreamingListener({});
await ssc.start();
for (let i = 1; i <= 5; i++) receiver.store(i);
void ssc.awaitTermination().then(() => console.log("STOPPED"));
console.log("READY");
