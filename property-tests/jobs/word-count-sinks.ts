import type { DStream } from "../../lib/dstream/internal.js";
import type { JetStreamMessage } from "../../lib/sources/jetstream/jetstream-options.js";
import { NATS_URL } from "../../lib/test-support/jetstream-fixture.js";
import { PG_URL } from "../../lib/test-support/postgres-fixture.js";

/**
 * The pipeline of the JetStream SIGKILL and group jobs: words of `lines` → per-batch counts into
 * PostgreSQL `table` (batch_time, word, count) under the name "batch-counts", and running totals
 * (updateStateByKey, named `totalsName`) as JSON `[word, total]` on the subject `<stream>.out`.
 * Returns the totals.
 */
export function countWordsIntoSinks(lines: DStream<JetStreamMessage<string>>, stream: string, table: string, totalsName = "totals"): DStream<[string, number]> {
  const pairs = lines.flatMap((m) => m.value.split(" ")).map((w): [string, number] => [w, 1]);
  pairs
    .reduceByKey((a, b) => a + b)
    .transform((rdd, time) => rdd.map(([w, n]) => [time, w, n]))
    .name("batch-counts")
    .saveToPostgres({ connectionString: PG_URL, table, columns: ["batch_time", "word", "count"] });
  const totals = pairs.updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0)).name(totalsName);
  totals.saveToJetStream({ servers: NATS_URL, subject: `${stream}.out`, codec: "json" });
  return totals;
}
