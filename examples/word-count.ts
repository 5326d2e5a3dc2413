/**
 * The seed example, the job `npm start` runs: a streaming word count over the DummySource, with
 * 1 s batches, the batch's counts as the SQL table `batch_word_count`, and a running total per word
 * kept with updateStateByKey. Kill it with `kill -9`, start it again: it says where it recovered
 * from and the totals carry on, every acknowledged line counted exactly once.
 *
 *   npm start -- [--events-per-second 1000] [--checkpoint ./checkpoints/word-count] [--query-every 5] [--json-totals]
 *                [--ui-port 4040] [--no-ui]
 *
 * The live UI (Spark's Streaming tab, its REST API and /metrics) is served on 127.0.0.1 and its
 * URL printed at start.
 *
 * Type a SQL query on the terminal (e.g. `select * from word_totals order by total desc limit 3`)
 * and it answers it over the latest batch. Ctrl-C stops gracefully: what was received is processed
 * and committed first.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Minutes, Seconds, StatusLine, StreamingContext, type DStream } from "dstream";
import { DummySource } from "./dummy-source.js";
import { formatTable } from "./format-table.js";
import { isMain, runMain } from "./run-main.js";

/** Options of {@link buildWordCount}. */
export interface WordCountOptions {
  /** Print the batch's `batch_word_count` table every this many batches (0: never); default 5. */
  queryEvery?: number;
  /** Print the running totals as one `TOTALS {json}` line per batch (for scripts and tests). */
  jsonTotals?: boolean;
  /** Where lines go; default console.log. */
  out?: (line: string) => void;
}

/** The query the job prints every few batches. */
export const BATCH_QUERY = "select * from batch_word_count order by count desc, word";

/**
 * The word count over `lines`: prints `# events = <n>` and the first 10 lines of each batch,
 * registers the batch's counts as `batch_word_count` (word, count) and the running totals as
 * `word_totals` (word, total). Returns the running totals.
 */
export function buildWordCount(ssc: StreamingContext, lines: DStream<string>, options: WordCountOptions = {}): DStream<[string, number]> {
  const out = options.out ?? ((line: string) => console.log(line));
  const queryEvery = options.queryEvery ?? 5;
  const counts = lines
    .flatMap((l) => l.split(" "))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
  counts.foreachRDD((rdd) => rdd.registerTempTable("batch_word_count", ["word", "count"]));
  lines.foreachRDD((rdd) => {
    out(`# events = ${rdd.count()}`);
    for (const line of rdd.take(10)) out(line);
  });
  // Named: the checkpoint finds this state by name even if operators are added before it.
  const totals = counts
    .updateStateByKey((values: number[], total: number | undefined) => values.reduce((a, b) => a + b, total ?? 0))
    .name("word-totals");
  let batches = 0;
  totals.foreachRDD((rdd, time) => {
    rdd.registerTempTable("word_totals", ["word", "total"]);
    batches++;
    if (queryEvery > 0 && batches % queryEvery === 0) out(`${BATCH_QUERY}\n${formatTable(ssc.sql(BATCH_QUERY))}`);
    if (options.jsonTotals === true) {
      const entries = rdd.collect().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out(`TOTALS ${JSON.stringify({ time, counts: Object.fromEntries(entries) })}`);
    }
  });
  return totals;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "events-per-second": { type: "string", default: "1000" },
      checkpoint: { type: "string", default: "./checkpoints/word-count" },
      "query-every": { type: "string", default: "5" },
      "json-totals": { type: "boolean", default: false },
      "ui-port": { type: "string", default: "4040" },
      "no-ui": { type: "boolean", default: false },
    },
  });
  const rate = Number(values["events-per-second"]);
  const queryEvery = Number(values["query-every"]);
  if (!(rate > 0)) throw new RangeError(`--events-per-second expects a positive number; got ${values["events-per-second"]}`);
  if (!Number.isInteger(queryEvery) || queryEvery < 0) throw new RangeError(`--query-every expects a whole number of batches; got ${values["query-every"]}`);
  const uiPort = Number(values["ui-port"]);
  if (!Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65535) throw new RangeError(`--ui-port expects a port number 0..65535; got ${values["ui-port"]}`);
  const dir = values.checkpoint;

  let status: StatusLine | undefined;
  const out = (line: string): void => (status ? status.log(line) : console.log(line));
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), appName: "word-count", stopGracefullyOnShutdown: true, ui: values["no-ui"] ? false : { port: uiPort } });
    const lines = ssc.receiverStream(new DummySource(rate));
    buildWordCount(ssc, lines, { out, queryEvery, jsonTotals: values["json-totals"] });
    ssc.remember(Minutes(1));
    return ssc;
  });
  if (ssc.recovered) {
    const last = ssc.checkpointSession?.lastCommittedTime;
    const at = last === undefined ? "no batch committed yet" : `last committed batch ${last} (${new Date(last).toISOString()})`;
    out(`Recovered from checkpoint ${dir}: ${at}; re-running the batches after it, then resuming`);
  } else {
    out(`Starting fresh, checkpointing to ${dir}`);
  }
  status = StatusLine.attach(ssc);
  if (process.stdin.isTTY) answerQueries(ssc, out);
  await ssc.start();
  if (ssc.uiUrl !== undefined) out(`Live UI: ${ssc.uiUrl}`);
  await ssc.awaitTermination();
  status.clear();
}

/** Answers SQL typed on the terminal, over the latest batch of each table. */
function answerQueries(ssc: StreamingContext, out: (line: string) => void): void {
  out("Type a SQL query, e.g. select * from word_totals order by total desc limit 3");
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on("line", (query) => {
    if (query.trim() === "") return;
    try {
      out(formatTable(ssc.sql(query)));
    } catch (err) {
      out(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  void ssc.awaitTermination().finally(() => rl.close()).catch(() => undefined);
}

if (isMain(import.meta.url)) runMain(main);
