/**
 * Join with a static dataset: each batch of click events (`user page`) is joined with a fixed
 * table of users (`user → country`) through `transform`, which hands the batch's RDD to any RDD
 * operation, here `join` with an RDD built once. Then clicks are counted per country.
 *
 *   node --import tsx --conditions=dstream-source examples/static-join.ts [--seconds 6]
 */
import { Seconds, StreamingContext, type DStream, type RDD } from "dstream";
import { feedQueue, numberArg, runFor } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** The static dataset: user → country. */
export const USERS: [string, string][] = [
  ["alice", "FR"],
  ["bob", "US"],
  ["chen", "CN"],
  ["dana", "US"],
];

/** Clicks per country, batch by batch; clicks of unknown users are dropped (inner join). */
export function buildStaticJoin(ssc: StreamingContext, clicks: DStream<string>): DStream<[string, number]> {
  const users: RDD<[string, string]> = ssc.parallelize(USERS, 2);
  return clicks
    .map((line) => line.split(" ") as [string, string])
    .transform((rdd) => rdd.join(users))
    .map(([, [, country]]) => [country, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
}

async function main(): Promise<void> {
  const ssc = new StreamingContext({ batchDuration: Seconds(1) });
  const queue: string[][] = [];
  const names = [...USERS.map(([u]) => u), "mallory"];
  feedQueue(ssc, queue, (i) => Array.from({ length: 5 }, (_, k) => `${names[(i + k * 2) % names.length]} /page/${k}`));
  buildStaticJoin(ssc, ssc.queueStream(queue)).print();
  await runFor(ssc, numberArg("seconds", 6));
}

if (isMain(import.meta.url)) runMain(main);
