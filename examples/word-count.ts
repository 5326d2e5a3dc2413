/**
 * The seed example, the job `npm start` runs: a streaming word count over the DummySource, with
 * 1 s batches, the batch's counts as the SQL table `batch_word_count`, and a running total per word
 * kept with updateStateByKey. Kill it with `kill -9`, start it again: it says where it recovered
 * from and the totals carry on, every acknowledged line counted exactly once.
 *
 *   npm start -- [--events-per-second 1000] [--checkpoint ./checkpoints/word-count] [--query-every 5] [--json-totals]
 *                [--ui-port 4040] [--no-ui]
 *   npm start -- --help
 *
 * The live UI (Spark's Streaming tab, its REST API and /metrics) is served on 127.0.0.1 and its
 * URL printed at start.
 *
 * Type a SQL query on the terminal (e.g. `select * from word_totals order by total desc limit 3`)
 * and it answers it over the latest batch. Ctrl-C stops gracefully: what was received is processed
 * and committed first, then it prints the last committed batch and the records this run committed.
 */
import { createInterface, type Interface } from "node:readline";
import { DummySource, Minutes, Seconds, StatusLine, StreamingContext, type DStream } from "dstream";
import { CommittedBatches } from "./committed-batches.js";
import { formatTable } from "./format-table.js";
import { isMain, runMain } from "./run-main.js";
import { parseWordCountArgs, WORD_COUNT_USAGE } from "./word-count-args.js";

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
  const parsed = parseWordCountArgs(process.argv.slice(2));
  if (parsed.kind === "help") {
    console.log(WORD_COUNT_USAGE);
    return;
  }
  if (parsed.kind === "error") {
    console.error(`error: ${parsed.message}\n\n${WORD_COUNT_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { eventsPerSecond, checkpoint: dir, queryEvery, jsonTotals, uiPort } = parsed.args;

  let status: StatusLine | undefined;
  const out = (line: string): void => (status ? status.log(line) : console.log(line));
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), appName: "word-count", stopGracefullyOnShutdown: true, ui: uiPort === undefined ? false : { port: uiPort } });
    const lines = ssc.receiverStream(new DummySource(eventsPerSecond));
    buildWordCount(ssc, lines, { out, queryEvery, jsonTotals });
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
  const committed = new CommittedBatches();
  ssc.addStreamingListener(committed);
  // SQL typed on a terminal goes through readline, which keeps the typed text below the output.
  const prompt = process.stdin.isTTY && process.stdout.isTTY ? createInterface({ input: process.stdin, output: process.stdout, prompt: "sql> " }) : undefined;
  status = StatusLine.attach(ssc, { prompt });
  if (prompt !== undefined) answerQueries(ssc, prompt, out);
  await ssc.start();
  if (ssc.uiUrl !== undefined) out(`Live UI: ${ssc.uiUrl}`);
  try {
    await ssc.awaitTermination();
  } finally {
    // Printed before the context re-raises the signal that stopped it (the process then exits).
    status.clear();
    prompt?.close();
    console.log(committed.summary(dir));
  }
}

/** Answers SQL typed on the terminal, over the latest batch of each table; Ctrl-C stops the job. */
function answerQueries(ssc: StreamingContext, rl: Interface, out: (line: string) => void): void {
  out("Type a SQL query, e.g. select * from word_totals order by total desc limit 3");
  rl.on("line", (query) => {
    if (query.trim() === "") return;
    try {
      out(formatTable(ssc.sql(query)));
    } catch (err) {
      out(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  // readline reads the terminal raw, so Ctrl-C arrives as a key: make it the signal it would be.
  rl.on("SIGINT", () => process.kill(process.pid, "SIGINT"));
  rl.prompt();
}

if (isMain(import.meta.url)) runMain(main);
