/** What the message-queue examples compute: running word totals over every message received. */
import type { DStream } from "dstream";

/** Running totals per word of `messages` (state in the checkpoint: each message counts once). */
export function wordTotals(messages: DStream<string>): DStream<[string, number]> {
  return messages
    .flatMap((m) => m.split(" "))
    .map((w): [string, number] => [w, 1])
    .updateStateByKey<string, number, number>((counts, total) => counts.reduce((a, b) => a + b, total ?? 0));
}

/** Prints `TOTALS {json}` once per batch: the running totals, sorted by word. */
export function printTotals(totals: DStream<[string, number]>): void {
  totals.foreachRDD((rdd) => console.log(`TOTALS ${JSON.stringify(Object.fromEntries(rdd.collect().sort(([a], [b]) => (a < b ? -1 : 1))))}`));
}
