/**
 * textFileStream takes a file only once it is stable on the context's clock (a writer that paused
 * got its file taken with a torn last line, and its later appends were never read), and reports a
 * processed file that changes afterwards (listener event and a stderr line) instead of ignoring it.
 */
import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import type { InputFileInfo } from "../listener.js";
import { StreamingContext } from "../streaming-context.js";
import { putFile } from "../test-support/put-file.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import type { FileInputDStream } from "./file-input-dstream.js";

const tempDir = tempDirs("dstream-stable-files-");
const WAIT = { timeout: 10_000, interval: 10 };

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  vi.restoreAllMocks();
});

async function job(dir: string, clock: ManualClock, writeFinishMs: number, checkpoint?: string) {
  const batches: string[][] = [];
  const changed: InputFileInfo[] = [];
  let stream!: FileInputDStream;
  const build = () => {
    const ctx = new StreamingContext({ batchDuration: 1000, clock });
    stream = ctx.textFileStream(dir, { writeFinishMs });
    stream.foreachRDD((rdd) => void batches.push(rdd.collect()));
    ctx.addStreamingListener({ onInputFileChanged: (e) => void changed.push(e.fileInfo) });
    return ctx;
  };
  ssc = checkpoint === undefined ? build() : await StreamingContext.getOrCreate(checkpoint, build);
  await ssc.start();
  return { batches, changed, stream, ctx: ssc };
}

describe("textFileStream takes stable files only", () => {
  it("waits, on the context's clock, for a writer that pauses: the file is taken whole, once", async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    const { batches, stream } = await job(dir, clock, 2000);
    await writeFile(join(dir, "a.txt"), "line1\nli");
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000); // seen for 1000 ms of the 2000 it must stay unchanged: not taken
    expect(batches).toEqual([[]]);
    await appendFile(join(dir, "a.txt"), "ne2\n");
    // The change is seen at 1000 (a watcher event) or at 2000 (the batch re-reads the file): its
    // period starts again either way, so batch 2000 takes nothing, and a later batch the whole file.
    await clock.advance(1000);
    expect(batches).toEqual([[], []]);
    await clock.advance(3000);
    expect(batches.flat()).toEqual(["line1", "line2"]);
    expect(batches.filter((b) => b.length > 0)).toEqual([["line1", "line2"]]);
    expect(stream.pendingFiles).toBe(0);
  });

  it("reports a processed file that changes afterwards (onInputFileChanged and stderr), and does not read it again", async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { batches, changed, stream } = await job(dir, clock, 50);
    await putFile(dir, "a.txt", "1\n");
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    expect(batches).toEqual([["1"]]);
    await appendFile(join(dir, "a.txt"), "2\n");
    await vi.waitFor(() => expect(changed).toHaveLength(1), WAIT);
    expect(changed[0]).toMatchObject({ streamId: stream.streamId, directory: dir, name: "a.txt", processedSize: 2, size: 4, time: 1000 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/a\.txt changed after a batch processed it \(2 -> 4 bytes\); the change is not processed/));
    await clock.advance(2000);
    expect(batches).toEqual([["1"], [], []]);
  });

  it("a file half-written when the job stopped is taken whole, exactly once, after the restart", async () => {
    const dir = await tempDir();
    const checkpoint = await tempDir();
    const clock = new ManualClock();
    const first = await job(dir, clock, 1500, checkpoint);
    await writeFile(join(dir, "b.txt"), "x\ny");
    await vi.waitFor(() => expect(first.stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    await first.ctx.stop();
    await appendFile(join(dir, "b.txt"), "z\n");
    const second = await job(dir, clock, 1500, checkpoint);
    await vi.waitFor(() => expect(second.stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(3000);
    expect([first.batches, second.batches.flat()]).toEqual([[[]], ["x", "yz"]]);
    await clock.advance(2000);
    expect(second.batches.flat()).toEqual(["x", "yz"]);
  });
});
