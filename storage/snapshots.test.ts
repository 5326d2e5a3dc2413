import { expect, it } from "vitest";
import { StreamingError } from "../errors.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { snapshotKey } from "./keys.js";
import { MemoryKv } from "./memory-kv.js";

it("a damaged snapshot chunk is STORAGE_CORRUPT naming the chunk's key", async () => {
  const store = await CheckpointStore.over(new MemoryKv());
  await store.writeSnapshot("counts", 5000, Array.from({ length: 30 }, (_, i) => [`k${i}`, i]), { chunkEntries: 10 });
  const key = snapshotKey("counts", 5000, 1);
  const value = (await store.kv.get(key))!;
  value[value.length - 1] = value[value.length - 1]! ^ 0xff;
  await store.kv.write([{ type: "put", key, value }], { sync: false });
  const err = await store.latestSnapshot("counts").catch((e: unknown) => e);
  expect(StreamingError.is(err, "DSTREAM_STORAGE_CORRUPT")).toBe(true);
  expect((err as Error).message).toContain("snapshot/counts/0000000000001388/1");
});

it("a missing chunk of a snapshot with a manifest is STORAGE_CORRUPT", async () => {
  const store = await CheckpointStore.over(new MemoryKv());
  await store.writeSnapshot("counts", 7, new Map([[1, 1], [2, 2], [3, 3]]), { chunkEntries: 1 });
  await store.kv.write([{ type: "del", key: snapshotKey("counts", 7, 2) }], { sync: false });
  await expect(store.latestSnapshot("counts")).rejects.toThrow(/snapshot\/counts\/0000000000000007\/2 is missing/);
});
