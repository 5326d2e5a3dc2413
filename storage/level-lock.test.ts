import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StreamingError } from "../errors.js";
import { openCheckpointStore } from "./checkpoint-store.js";
import { output, spawnTsx } from "./fixtures/spawn-tsx.js";

const root = mkdtempSync(join(tmpdir(), "dstream-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a checkpoint directory open elsewhere", () => {
  it("is STORAGE_LOCKED for a second open in this process, naming the directory", async () => {
    const dir = join(root, "in-process");
    const store = await openCheckpointStore(dir);
    const err = await openCheckpointStore(dir).catch((e: unknown) => e);
    expect(StreamingError.is(err, "DSTREAM_STORAGE_LOCKED")).toBe(true);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).cause).toBeDefined();
    await store.close();
    await (await openCheckpointStore(dir)).close(); // released by close
  });

  it("is STORAGE_LOCKED for another process, and opens once released", async () => {
    const dir = join(root, "child");
    const store = await openCheckpointStore(dir);
    const locked = JSON.parse((await output(spawnTsx("./open-child.ts", [dir]))).stdout) as { opened: boolean; code?: string; message?: string };
    expect(locked).toMatchObject({ opened: false, code: "DSTREAM_STORAGE_LOCKED" });
    expect(locked.message).toContain(dir);
    await store.close();
    const free = JSON.parse((await output(spawnTsx("./open-child.ts", [dir]))).stdout) as { opened: boolean };
    expect(free.opened).toBe(true);
  });
});
