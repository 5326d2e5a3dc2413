import { appendFile, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { putFile } from "../test-support/put-file.js";
import type { FileInputDStream, FileStreamOptions } from "./file-input-dstream.js";

const WAIT = { timeout: 20_000, interval: 10 };

let dir: string;
let ssc: StreamingContext | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dstream-files-"));
});
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await rm(dir, { recursive: true, force: true });
});

function setup(options: FileStreamOptions = {}) {
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock });
  const stream = ssc.textFileStream(dir, { writeFinishMs: 50, ...options });
  const batches: string[][][] = [];
  const counts: number[] = [];
  stream.glom().foreachRDD((rdd) => void batches.push(rdd.collect()));
  ssc.addStreamingListener({ onBatchCompleted: (e) => void counts.push(e.batchInfo.numRecords) });
  return { clock, stream, batches, counts, ssc };
}

describe("textFileStream", () => {
  it("takes each new file in exactly one batch, one partition per file; ignores dot-files, old and modified files", async () => {
    await writeFile(join(dir, "old.txt"), "before start\n");
    const { clock, stream, batches, counts, ssc } = setup();
    await ssc.start();
    await writeFile(join(dir, ".hidden"), "secret\n");
    await putFile(dir, "a.txt", "1\r\n2\n");
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    await putFile(dir, "c.txt", "c");
    await putFile(dir, "b.txt", "b1\nb2\n");
    await appendFile(join(dir, "a.txt"), "3\n");
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(2), WAIT);
    await clock.advance(2000);
    expect(batches).toEqual([[["1", "2"]], [["b1", "b2"], ["c"]], []]);
    expect(counts).toEqual([2, 3, 0]);
    expect(stream.processedFiles().sort()).toEqual(["a.txt", "b.txt", "c.txt"]);
  });

  it("with newFilesOnly: false also takes the files already there", async () => {
    await writeFile(join(dir, "old.txt"), "x\ny\n");
    const { clock, stream, batches, ssc } = setup({ newFilesOnly: false });
    await ssc.start();
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    expect(batches).toEqual([[["x", "y"]]]);
  });

  it("a replayed plan reads the bytes it was planned with, even if the file grew", async () => {
    await writeFile(join(dir, "a.txt"), "1\n2\n");
    const { stream } = setup();
    const rdd = await stream.materialize(1000, { files: [{ name: "a.txt", size: 2 }], mtimeWatermark: 0 });
    expect(rdd.collect()).toEqual(["1"]);
    await expect(stream.materialize(1000, { files: [{ name: "gone.txt", size: 2 }], mtimeWatermark: 0 })).rejects.toMatchObject({ code: "DSTREAM_STORAGE_IO" });
  });

  it("after a restart, skips the files of retained plans and files older than them, and takes files that came meanwhile", async () => {
    const longAgo = (Date.now() - 3_600_000) / 1000;
    await writeFile(join(dir, "done.txt"), "processed in a retained batch\n");
    await writeFile(join(dir, "cleaned.txt"), "processed in a batch already cleaned up\n");
    await utimes(join(dir, "cleaned.txt"), longAgo, longAgo);
    const mtimeWatermark = Date.now() - 60_000;
    await writeFile(join(dir, "new.txt"), "arrived while down\n");
    const { clock, stream, batches, ssc } = setup();
    await (stream as FileInputDStream).restorePlans([{ time: 1000, plan: { files: [{ name: "done.txt", size: 30 }], mtimeWatermark } }]);
    await ssc.start();
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    expect(batches).toEqual([[["arrived while down"]]]);
  });

  it("restoreProcessed marks files as done", async () => {
    const { clock, stream, batches, ssc } = setup({ newFilesOnly: false });
    await writeFile(join(dir, "a.txt"), "a\n");
    await writeFile(join(dir, "b.txt"), "b\n");
    stream.restoreProcessed(["a.txt"]);
    await ssc.start();
    await vi.waitFor(() => expect(stream.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    expect(batches).toEqual([[["b"]]]);
  });

  it("with a checkpoint, a restarted job skips the files it committed and takes those that came while it was down", async () => {
    const checkpoint = await mkdtemp(join(tmpdir(), "dstream-files-ckpt-"));
    const clock = new ManualClock();
    const runJob = async () => {
      const out: string[][] = [];
      let stream: FileInputDStream | undefined;
      ssc = await StreamingContext.getOrCreate(checkpoint, () => {
        const ctx = new StreamingContext({ batchDuration: 1000, clock });
        stream = ctx.textFileStream(dir, { writeFinishMs: 50 });
        stream.foreachRDD((rdd) => void out.push(rdd.collect()));
        return ctx;
      });
      await ssc.start();
      return { out, stream: stream as FileInputDStream, ctx: ssc };
    };
    try {
      const first = await runJob();
      await putFile(dir, "a.txt", "a\n");
      await vi.waitFor(() => expect(first.stream.pendingFiles).toBe(1), WAIT);
      await clock.advance(1000);
      expect(first.out).toEqual([["a"]]);
      await first.ctx.stop();
      await putFile(dir, "b.txt", "b\n");
      const second = await runJob();
      await vi.waitFor(() => expect(second.stream.pendingFiles).toBe(1), WAIT);
      await clock.advance(1000);
      expect([first.out, second.out]).toEqual([[["a"]], [["b"]]]);
    } finally {
      await ssc?.stop();
      await rm(checkpoint, { recursive: true, force: true });
    }
  });
});
