import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { LevelKv } from "./level-kv.js";
import { storageContract } from "./storage-contract.js";

const root = mkdtempSync(join(tmpdir(), "dstream-level-kv-"));
const dirs = new WeakMap<object, string>();
let n = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

storageContract("level", {
  open: async () => {
    const dir = join(root, `db-${n++}`);
    const kv = await LevelKv.open(dir);
    dirs.set(kv, dir);
    return kv;
  },
  reopen: async (kv) => {
    await kv.close();
    const dir = dirs.get(kv)!;
    const again = await LevelKv.open(dir);
    dirs.set(again, dir);
    return again;
  },
});
