/**
 * A custom reliable receiver: it tails a log file and stores each chunk of complete lines with
 * `storeMany(lines, { offset })`, the offset being the byte position after the last line. The block
 * and the offset are written in one atomic, synced write; after a crash or restart the receiver
 * reads `lastStoredOffset()` and carries on from there. So each line of the file reaches exactly
 * one committed batch, whatever the moment the process dies. The offset also names the file
 * (device, inode, hash of its first bytes): a different file under the same path (the next run's
 * temporary log, a rotated log) is read from its start, with a message saying why. The pattern fits any source that can
 * re-read from a position (files, Kafka, NATS JetStream, a database's change feed).
 *
 *   node --import tsx --conditions=dstream-source examples/custom-receiver.ts [--file app.log] [--seconds 6]
 */
import { appendFile, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Receiver, Seconds, StreamingContext, type DStream } from "dstream";
import { numberArg, runFor, stringArg } from "./demo.js";
import { fileOffset, resumePosition } from "./file-identity.js";
import { isMain, runMain } from "./run-main.js";

const NEWLINE = 0x0a;

/** Options of {@link FileTailReceiver}. */
export interface FileTailOptions {
  /** How often the file is read, in ms; default 100. */
  pollMs?: number;
  /** Where messages go (e.g. "starting at byte 0 because …"); default console.log. */
  log?: (message: string) => void;
}

/**
 * Tails `path`, storing complete lines with the offset after them. The offset names the file it
 * belongs to (device, inode, hash of the first bytes): after a restart it resumes there only in
 * the same file; a different, truncated or rewritten file is read from byte 0, and it says so.
 */
export class FileTailReceiver extends Receiver<string> {
  readonly pollMs: number;
  private readonly log: (message: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Where reading goes on; undefined until the first read has checked the stored offset against the file. */
  private position: number | undefined;

  constructor(
    readonly path: string,
    options: FileTailOptions = {},
  ) {
    super({ name: `tail ${path}` });
    this.pollMs = options.pollMs ?? 100;
    this.log = options.log ?? ((m) => console.log(m));
  }

  onStart(): void {
    this.running = true;
    this.position = undefined;
    void this.poll();
  }

  onStop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      await this.read();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" && this.running) {
        this.restart(`cannot read ${this.path}`, err);
        return;
      }
    }
    if (this.running && !this.isStopped()) this.timer = setTimeout(() => void this.poll(), this.pollMs);
  }

  /** Stores the complete lines after the current position and moves past them. */
  private async read(): Promise<void> {
    const file = await open(this.path, "r");
    try {
      const stat = await file.stat();
      if (this.position === undefined) {
        const resume = await resumePosition(this.lastStoredOffset(), file, stat);
        if (resume.reason !== undefined) this.log(`tail ${this.path}: starting at byte 0: ${resume.reason}`);
        this.position = resume.position;
      }
      const position = this.position;
      if (stat.size <= position) return;
      const bytes = Buffer.alloc(stat.size - position);
      const { bytesRead } = await file.read(bytes, 0, bytes.length, position);
      const end = bytes.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (end < 0) return; // no complete line yet
      const lines = bytes.toString("utf8", 0, end).split("\n");
      const offset = await fileOffset(file, stat.dev, stat.ino, position + end + 1);
      await this.storeMany(lines, { offset });
      this.position = offset.position;
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
  const dir = given ? undefined : await mkdtemp(join(tmpdir(), "dstream-tail-"));
  const path = dir === undefined ? stringArg("file", "app.log") : join(dir, "app.log");
  const ssc = await StreamingContext.getOrCreate(stringArg("checkpoint", "./checkpoints/custom-receiver"), () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), stopGracefullyOnShutdown: true });
    buildLogLevels(ssc.receiverStream(new FileTailReceiver(path))).print();
    return ssc;
  });
  console.log(`tailing ${path}${ssc.recovered ? " (recovered from the checkpoint: resuming at the stored offset if it is the same file)" : ""}`);
  const levels = ["INFO", "INFO", "WARN", "ERROR"];
  let n = 0;
  const writer = given ? undefined : setInterval(() => void appendFile(path, `${levels[n++ % levels.length]} request ${n}\n`), 150);
  try {
    await runFor(ssc, numberArg("seconds", 6));
  } finally {
    clearInterval(writer);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(main);
