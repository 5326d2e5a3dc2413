import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, StreamingContext } from "dstream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildLogLevels, FileTailReceiver } from "./custom-receiver.js";
import type { FileOffset } from "./file-identity.js";

const WAIT = { timeout: 20_000, interval: 10 };
let dir: string | undefined;
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** One run of the job on the checkpoint in `root`: a new process, as far as the receiver can tell. */
async function run(root: string, clock: ManualClock) {
  const log = join(root, "app.log");
  const batches: string[][] = [];
  const levels: [string, number][][] = [];
  const messages: string[] = [];
  let receiver!: FileTailReceiver;
  ssc = await StreamingContext.getOrCreate(join(root, "cp"), () => {
    const s = new StreamingContext({ batchDuration: 1000, clock });
    receiver = new FileTailReceiver(log, { pollMs: 10, log: (m) => void messages.push(m) });
    const lines = s.receiverStream(receiver);
    lines.foreachRDD((rdd) => void batches.push(rdd.collect()));
    buildLogLevels(lines).foreachRDD((rdd) => void levels.push(rdd.collect().sort()));
    return s;
  });
  await ssc.start();
  /** Waits until the receiver has stored every complete line of the log (bytes up to the last newline). */
  const caughtUp = async (): Promise<void> => {
    const text = await readFile(log);
    await vi.waitFor(() => expect((receiver.lastStoredOffset() as FileOffset | undefined)?.position).toBe(text.lastIndexOf(0x0a) + 1), WAIT);
  };
  return { ssc, clock, batches, levels, messages, caughtUp, log };
}

describe("custom reliable receiver (tailing a file with byte offsets)", () => {
  it("resumes from the stored offset after a restart: every line in exactly one batch", async () => {
    dir = await mkdtemp(join(tmpdir(), "dstream-tail-"));
    const first = await run(dir, new ManualClock());
    await appendFile(first.log, "INFO a\nWARN b\nINFO c\nERROR unfini");
    await first.caughtUp(); // the unfinished last line waits for its newline
    await first.clock.advance(1000);
    expect(first.batches).toEqual([["INFO a", "WARN b", "INFO c"]]);
    expect(first.levels).toEqual([[["INFO", 2], ["WARN", 1]]]);
    await appendFile(first.log, "shed\nINFO d\n");
    await first.caughtUp();
    // The job goes away with two lines durable in the WAL but in no batch yet.
    await first.ssc.stop();

    await appendFile(first.log, "WARN e\n");
    const second = await run(dir, new ManualClock(first.clock.now()));
    expect(second.ssc.recovered).toBe(true);
    await second.caughtUp();
    await second.clock.advance(1000);
    expect(second.batches.flat()).toEqual(["ERROR unfinished", "INFO d", "WARN e"]);
    expect(second.levels.flat()).toEqual([["ERROR", 1], ["INFO", 1], ["WARN", 1]]);
  });

  it("reads a different file under the same path (a rotated log) from byte 0, and says why", async () => {
    dir = await mkdtemp(join(tmpdir(), "dstream-tail-"));
    const first = await run(dir, new ManualClock());
    await appendFile(first.log, "INFO a\nWARN b\n");
    await first.caughtUp();
    await first.clock.advance(1000);
    await first.ssc.stop();
    expect(first.messages).toEqual([]);

    // Rotated: the old file keeps its inode under another name, a new file takes the path.
    await rename(first.log, `${first.log}.1`);
    await writeFile(first.log, "ERROR x\n");
    const second = await run(dir, new ManualClock(first.clock.now()));
    await second.caughtUp();
    await second.clock.advance(1000);
    expect(second.batches.flat()).toEqual(["ERROR x"]);
    expect(second.messages).toHaveLength(1);
    expect(second.messages[0]).toMatch(/^tail .*app\.log: starting at byte 0: it is a different file \(device \d+, inode \d+; the stored offset belongs to device \d+, inode \d+\)$/);
  });

  it("reads a file rewritten in place from byte 0: same inode, but its first bytes changed", async () => {
    dir = await mkdtemp(join(tmpdir(), "dstream-tail-"));
    const first = await run(dir, new ManualClock());
    await appendFile(first.log, "INFO aaaa\nINFO bbbb\n");
    await first.caughtUp();
    await first.clock.advance(1000);
    await first.ssc.stop();

    await writeFile(first.log, "WARN zzzz\nWARN yyyy\nWARN xxxx\n"); // truncated and written again, longer
    const second = await run(dir, new ManualClock(first.clock.now()));
    await second.caughtUp();
    await second.clock.advance(1000);
    expect(second.batches.flat()).toEqual(["WARN zzzz", "WARN yyyy", "WARN xxxx"]);
    expect(second.messages).toEqual([`tail ${first.log}: starting at byte 0: its first 20 bytes are not those the stored offset was taken in: rewritten`]);
  });
});
