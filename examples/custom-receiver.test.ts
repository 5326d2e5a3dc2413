import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, StreamingContext } from "dstream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildLogLevels, FileTailReceiver } from "./custom-receiver.js";

const WAIT = { timeout: 5000, interval: 10 };
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
  let receiver!: FileTailReceiver;
  ssc = await StreamingContext.getOrCreate(join(root, "cp"), () => {
    const s = new StreamingContext({ batchDuration: 1000, clock });
    receiver = new FileTailReceiver(log, 10);
    const lines = s.receiverStream(receiver);
    lines.foreachRDD((rdd) => void batches.push(rdd.collect()));
    buildLogLevels(lines).foreachRDD((rdd) => void levels.push(rdd.collect().sort()));
    return s;
  });
  await ssc.start();
  /** Waits until the receiver has stored every complete line of the log (bytes up to the last newline). */
  const caughtUp = async (): Promise<void> => {
    const text = await readFile(log);
    await vi.waitFor(() => expect(receiver.lastStoredOffset()).toBe(text.lastIndexOf(0x0a) + 1), WAIT);
  };
  return { ssc, clock, batches, levels, caughtUp, log };
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
});
