/**
 * Windowed counts: the count of each word over the last `window`, every `slide`, kept
 * incrementally with `reduceByKeyAndWindow(add, subtract, …)`: each slide adds the batches that
 * entered the window and subtracts those that left it, instead of re-reducing the whole window.
 * `filterFunc` drops words whose count fell back to 0 (with an inverse they would stay at 0).
 *
 *   node --import tsx --conditions=dstream-source examples/windowed-counts.ts [--seconds 10]
 */
import { Seconds, StreamingContext, type DStream, type Duration } from "dstream";
import { feedQueue, numberArg, runFor, stringArg } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** Word counts over `window`, every `slide`, and the number of lines in the window. */
export function buildWindowedCounts(lines: DStream<string>, window: Duration, slide: Duration) {
  const words = lines.flatMap((l) => l.split(" ")).map((w) => [w, 1] as [string, number]);
  const counts = words
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      window,
      slide,
      { filterFunc: ([, n]) => n > 0 },
    )
    .name("window-counts");
  const lineCount = lines.countByWindow(window, slide);
  return { counts, lineCount };
}

async function main(): Promise<void> {
  const dir = stringArg("checkpoint", "./checkpoints/windowed-counts");
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), stopGracefullyOnShutdown: true });
    const queue: string[][] = [];
    feedQueue(ssc, queue, (i) => (i % 4 === 0 ? ["tick tock", "tick"] : ["tock"]));
    const { counts, lineCount } = buildWindowedCounts(ssc.queueStream(queue), Seconds(3), Seconds(1));
    counts.print();
    lineCount.foreachRDD((rdd, t) => console.log(`lines in the 3 s window ending ${new Date(t).toISOString()}: ${rdd.first() ?? 0}`));
    return ssc;
  });
  await runFor(ssc, numberArg("seconds", 10));
}

if (isMain(import.meta.url)) runMain(main);
