/**
 * A custom reliable receiver: it tails a log file and stores each chunk of complete lines with
 * `storeMany(lines, { offset })`, the offset being the byte position after the last line. The block
 * and the offset are written in one atomic, synced write; after a crash or restart the receiver
 * reads `lastStoredOffset()` and carries on from there. So each line of the file reaches exactly
 * one committed batch, whatever the moment the process dies. The pattern fits any source that can
 * re-read from a position (files, Kafka, NATS JetStream, a database's change feed).
 *
 *   node --import tsx --conditions=dstream-source examples/custom-receiver.ts [--file app.log] [--seconds 6]
 */
import { appendFile, mkdtemp, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Receiver, Seconds, StreamingContext, type DStream } from "dstream";
import { numberArg, runFor, stringArg } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

const NEWLINE = 0x0a;

/** Tails `path` from the last stored byte offset, storing complete lines. */
export class FileTailReceiver extends Receiver<string> {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    readonly path: string,
    readonly pollMs = 100,
  ) {
    super({ name: `tail ${path}` });
  }

  onStart(): void {
    this.running = true;
    void this.poll(Number(this.lastStoredOffset() ?? 0));
  }

  onStop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async poll(position: number): Promise<void> {
    let next = position;
    try {
      next = await this.readFrom(position);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" && this.running) {
        this.restart(`cannot read ${this.path}`, err);
        return;
      }
    }
    if (this.running && !this.isStopped()) this.timer = setTimeout(() => void this.poll(next), this.pollMs);
  }

  /** Stores the complete lines after `position`; returns the position after them. */
  private async readFrom(position: number): Promise<number> {
    const file = await open(this.path, "r");
    try {
      const { size } = await file.stat();
      if (size <= position) return position;
      const bytes = Buffer.alloc(size - position);
      const { bytesRead } = await file.read(bytes, 0, bytes.length, position);
      const end = bytes.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (end < 0) return position; // no complete line yet
      const lines = bytes.toString("utf8", 0, end).split("\n");
      const offset = position + end + 1;
      await this.storeMany(lines, { offset });
      return offset;
    } finally {
      await file.close();
    }
  }
}

/** Counts the log lines per level (the first word: INFO, WARN, ERROR…) in each batch. */
export function buildLogLevels(lines: DStream<string>): DStream<[string, number]> {
  return lines.map((l) => [l.split(" ")[0] ?? "", 1] as [string, number]).reduceByKey((a, b) => a + b);
}

async function main(): Promise<void> {
  const given = process.argv.includes("--file");
  const path = given ? stringArg("file", "app.log") : join(await mkdtemp(join(tmpdir(), "dstream-tail-")), "app.log");
  const ssc = await StreamingContext.getOrCreate(stringArg("checkpoint", "./checkpoints/custom-receiver"), () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), stopGracefullyOnShutdown: true });
    buildLogLevels(ssc.receiverStream(new FileTailReceiver(path))).print();
    return ssc;
  });
  console.log(`tailing ${path}${ssc.recovered ? " (recovered: resuming at the stored offset)" : ""}`);
  const levels = ["INFO", "INFO", "WARN", "ERROR"];
  let n = 0;
  const writer = given ? undefined : setInterval(() => void appendFile(path, `${levels[n++ % levels.length]} request ${n}\n`), 150);
  try {
    await runFor(ssc, numberArg("seconds", 6));
  } finally {
    clearInterval(writer);
  }
}

if (isMain(import.meta.url)) runMain(main);
