/**
 * A full disk under a receiver's write-ahead log is DSTREAM_STORAGE_FULL (it was reported as
 * _IO with the _FULL only in its cause): storeMany rejects with it and the context stops with it.
 * Once with an injected ENOSPC, once on a real full filesystem (a small tmpfs; root only).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { FaultInjectingKv } from "../../storage/fault-kv.js";
import { mapLevelError } from "../../storage/level-errors.js";
import { LevelKv } from "../../storage/level-kv.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { TestReceiver } from "../test-support/test-receiver.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-full-");
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop().catch(() => undefined);
  ssc = undefined;
});

async function job(dir: string, clock: ManualClock, openStore?: () => Promise<CheckpointStore>) {
  const receiver = new TestReceiver<string>();
  ssc = await StreamingContext.getOrCreate(dir, () => {
    const s = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: openStore === undefined ? {} : { openStore } });
    s.receiverStream(receiver).foreachRDD(() => undefined);
    return s;
  });
  await ssc.start();
  return { receiver, ssc };
}

describe("a full disk under the write-ahead log", () => {
  it("storeMany rejects with DSTREAM_STORAGE_FULL and the context stops with it (injected ENOSPC)", async () => {
    const dir = await tempDir();
    let full = false;
    // What LevelKv makes of classic-level's error when the OS says ENOSPC.
    const enospc = () => mapLevelError(Object.assign(new Error("IO error: /x/000003.log: No space left on device"), { code: "LEVEL_IO_ERROR" }), dir, "write");
    const kv = new FaultInjectingKv(await LevelKv.open(dir), { failWrite: () => (full ? enospc() : undefined) });
    const clock = new ManualClock();
    const { receiver, ssc } = await job(dir, clock, async () => CheckpointStore.over(kv));
    await receiver.storeMany(["a"], { offset: 1 });
    full = true;
    const err = await receiver.storeMany(["b"], { offset: 2 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.STORAGE_FULL });
    expect((err as Error).message).toMatch(/disk is full/);
    await expect(clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.STORAGE_FULL });
    await expect(ssc.awaitTermination()).rejects.toMatchObject({ code: ErrorCodes.STORAGE_FULL });
  });

  it("storeMany rejects with DSTREAM_STORAGE_FULL on a real full filesystem (a 4 MB tmpfs)", async (ctx) => {
    const mnt = await mkdtemp(join(tmpdir(), "dstream-tmpfs-"));
    try {
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], { stdio: "pipe" });
      } catch (e) {
        console.log(`skipped: cannot mount a tmpfs here (needs root and mount rights): ${String((e as Error).message).split("\n")[0]}`);
        ctx.skip();
        return;
      }
      try {
        const clock = new ManualClock();
        const { receiver, ssc } = await job(join(mnt, "ckpt"), clock);
        await receiver.storeMany(["first"], { offset: 0 });
        await fill(join(mnt, "filler"));
        const line = "x".repeat(1000);
        let err: unknown;
        // LevelDB buffers a little of its log; a few synced blocks of 64 KB reach the full disk.
        for (let i = 1; i <= 64 && err === undefined; i++) err = await receiver.storeMany(Array(64).fill(line), { offset: i }).then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ code: ErrorCodes.STORAGE_FULL });
        await expect(clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.STORAGE_FULL });
        await ssc.stop().catch(() => undefined);
      } finally {
        execFileSync("umount", ["-l", mnt]); // lazy: a failed expectation may leave LevelDB files open until afterEach
      }
    } finally {
      await rm(mnt, { recursive: true, force: true });
    }
  });
});

/** Writes `path` until the filesystem has no space left. */
async function fill(path: string): Promise<void> {
  const f = await open(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await f.write(chunk);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOSPC") throw e;
  } finally {
    await f.close().catch(() => undefined);
  }
}
