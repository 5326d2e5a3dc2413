/**
 * The command line of the main job (`npm start -- …`): parsed and checked, or a usage error. Kept
 * apart from the job so a test can check every case without starting one.
 */
import { parseArgs } from "node:util";

/** What `npm start -- --help` prints (and, after the error, a bad command line). */
export const WORD_COUNT_USAGE = `usage: npm start -- [options]
       node --import tsx --conditions=dstream-source examples/word-count.ts [options]

The seed streaming word count: the DummySource's lines in 1 s batches, counted per batch
(SQL table batch_word_count) and in total (word_totals), checkpointed after every batch.
On a terminal, type SQL (e.g. select * from word_totals order by total desc limit 3).
Ctrl-C stops gracefully: what was received is processed and committed first.

options:
  --events-per-second <n>  lines the DummySource writes a second (default 1000)
  --checkpoint <dir>       checkpoint directory (default ./checkpoints/word-count)
  --query-every <n>        print the batch_word_count query every n batches, 0: never (default 5)
  --json-totals            print the running totals as one TOTALS {json} line per batch
  --ui-port <port>         port of the live UI on 127.0.0.1 (default 4040; 0: any free port)
  --no-ui                  no live UI
  -h, --help               print this help and exit`;

/** The job's options, checked. */
export interface WordCountArgs {
  eventsPerSecond: number;
  checkpoint: string;
  queryEvery: number;
  jsonTotals: boolean;
  /** The live UI's port; undefined with --no-ui. */
  uiPort: number | undefined;
}

/** A command line: options to run with, a request for help, or what is wrong with it. */
export type ParsedWordCountArgs = { kind: "run"; args: WordCountArgs } | { kind: "help" } | { kind: "error"; message: string };

/** Parses `argv` (the arguments after the script). Never throws: a bad command line is `kind: "error"`. */
export function parseWordCountArgs(argv: string[]): ParsedWordCountArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        "events-per-second": { type: "string", default: "1000" },
        checkpoint: { type: "string", default: "./checkpoints/word-count" },
        "query-every": { type: "string", default: "5" },
        "json-totals": { type: "boolean", default: false },
        "ui-port": { type: "string", default: "4040" },
        "no-ui": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    return { kind: "error", message: err instanceof Error ? err.message : String(err) };
  }
  if (values.help === true) return { kind: "help" };
  const rateText = String(values["events-per-second"]);
  const eventsPerSecond = Number(rateText);
  if (rateText.trim() === "" || !Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0) {
    return { kind: "error", message: `--events-per-second expects a positive number; got "${rateText}"` };
  }
  const everyText = String(values["query-every"]);
  const queryEvery = Number(everyText);
  if (everyText.trim() === "" || !Number.isInteger(queryEvery) || queryEvery < 0) {
    return { kind: "error", message: `--query-every expects a whole number of batches (0: never); got "${everyText}"` };
  }
  const checkpoint = String(values.checkpoint);
  if (checkpoint === "") return { kind: "error", message: "--checkpoint expects a directory; got an empty string" };
  const portText = String(values["ui-port"]);
  const port = Number(portText);
  if (portText.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    return { kind: "error", message: `--ui-port expects a port number 0..65535; got "${portText}"` };
  }
  const uiPort = values["no-ui"] === true ? undefined : port;
  return { kind: "run", args: { eventsPerSecond, checkpoint, queryEvery, jsonTotals: values["json-totals"] === true, uiPort } };
}
