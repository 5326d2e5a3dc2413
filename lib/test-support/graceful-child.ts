// A job for the SIGTERM test: it stores five records that no batch has taken yet, says READY, and
// relies on stopGracefullyOnShutdown to process them before the process exits.
import { Minutes } from "../time.js";
import { TestReceiver } from "./test-receiver.js";
import { StreamingContext } from "../streaming-context.js";

const ssc = new StreamingContext({ batchDuration: Minutes(10), stopGracefullyOnShutdown: true });
const receiver = new TestReceiver<number>();
ssc.receiverStream(receiver).foreachRDD((rdd, t) => {
  if (!rdd.isEmpty()) console.log(`batch ${t}: ${rdd.collect().join(",")}`);
});
ssc.addStreamingListener({});
await ssc.start();
for (let i = 1; i <= 5; i++) receiver.store(i);
void ssc.awaitTermination().then(() => console.log("STOPPED"));
console.log("READY");
