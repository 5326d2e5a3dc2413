/**
 * File stream: the lines of every new file that appears in a directory, each file in exactly one
 * batch (the batch record remembers the files, so a restart neither skips nor repeats one). Run
 * alone, it writes a file a second into a temporary directory itself (or watches `--dir`).
 *
 *   node --import tsx --conditions=dstream-source examples/file-stream.ts [--dir <directory>] [--seconds 6]
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Seconds, StreamingContext, type DStream } from "dstream";
import { numberArg, runFor } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** Word counts of the lines of new files in each batch. */
export function buildFileWordCount(lines: DStream<string>): DStream<[string, number]> {
  return lines
    .flatMap((l) => l.split(/\s+/).filter((w) => w !== ""))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
}

async function main(): Promise<void> {
  const given = process.argv.indexOf("--dir");
  const dir = given >= 0 ? (process.argv[given + 1] ?? ".") : await mkdtemp(join(tmpdir(), "dstream-file-stream-"));
  console.log(`watching ${dir}`);
  const ssc = new StreamingContext({ batchDuration: Seconds(1) });
  buildFileWordCount(ssc.textFileStream(dir)).print();
  let n = 0;
  const writer =
    given >= 0 ? undefined : setInterval(() => void writeFile(join(dir, `part-${n++}.txt`), `hello files\nfile number ${n}\n`), 1000);
  try {
    await runFor(ssc, numberArg("seconds", 6));
  } finally {
    clearInterval(writer);
    if (given < 0) await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(main);
