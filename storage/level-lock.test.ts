import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamingError } from "../errors.js";
import { openCheckpointStore } from "./checkpoint-store.js";
import { output, spawnTsx } from "./fixtures/spawn-tsx.js";

const root = mkdtempSync(join(tmpdir(), "dstream-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** Linux tells who holds a lock (/proc/locks): the message then names that process. */
const locksKnown = existsSync("/proc/locks");

describe("a checkpoint directory open elsewhere", () => {
  it("is STORAGE_LOCKED for a second open in this process, naming the directory; another process stays locked out", async () => {
    const dir = join(root, "in-process");
    const store = await openCheckpointStore(dir);
    const err = await openCheckpointStore(dir).catch((e: unknown) => e);
    expect(StreamingError.is(err, "DSTREAM_STORAGE_LOCKED")).toBe(true);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).cause).toBeDefined();
    if (locksKnown) expect((err as Error).message).toMatch(/is locked: this process already has it open .*Stop that one first, or give this one a different checkpoint directory\.$/);
    // LevelDB closing its own descriptor of LOCK would have dropped this process's lock on it.
    const other = JSON.parse((await output(spawnTsx("./open-child.ts", [dir]))).stdout) as { opened: boolean; code?: string };
    expect(other).toMatchObject({ opened: false, code: "DSTREAM_STORAGE_LOCKED" });
    await store.close();
    await (await openCheckpointStore(dir)).close(); // released by close
  });

  it("is STORAGE_LOCKED for another process, and opens once released", async () => {
    const dir = join(root, "child");
    const store = await openCheckpointStore(dir);
    const locked = JSON.parse((await output(spawnTsx("./open-child.ts", [dir]))).stdout) as { opened: boolean; code?: string; message?: string };
    expect(locked).toMatchObject({ opened: false, code: "DSTREAM_STORAGE_LOCKED" });
    expect(locked.message).toContain(dir);
    if (locksKnown) expect(locked.message).toContain(`is locked: process ${process.pid} is using it (a job running on it, often in another terminal). Stop that job`);
    await store.close();
    const free = JSON.parse((await output(spawnTsx("./open-child.ts", [dir]))).stdout) as { opened: boolean };
    expect(free.opened).toBe(true);
  });
});
