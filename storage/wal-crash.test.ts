/**
 * A real crash: a child process appends WAL blocks on real LevelDB and is killed with SIGKILL at
 * random moments; after each kill the log is reopened and every acknowledged block must read back
 * whole and equal, the log must be dense, and no partial block may appear. Replay a run with
 * WAL_CRASH_SEED=<seed printed below>.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openCheckpointStore } from "./checkpoint-store.js";
import { spawnTsx } from "./fixtures/spawn-tsx.js";
import { expectedBlock } from "./fixtures/wal-child-blocks.js";
import { prng } from "../lib/test-support/prng.js";

const KILLS = 15;
const root = mkdtempSync(join(tmpdir(), "dstream-wal-crash-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the child until it has acknowledged `acks` blocks (0: as soon as it is ready), then SIGKILLs it. */
async function runAndKill(dir: string, acks: number, acked: Map<number, number>): Promise<void> {
  const child = spawnTsx("./wal-child.ts", [dir]);
  let seen = 0;
  let buffered = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, r, s] = line.split(" ");
      if (word === "ack") {
        acked.set(Number(r), Math.max(acked.get(Number(r)) ?? -1, Number(s)));
        seen++;
      }
      if ((word === "ready" && acks === 0) || seen >= acks) child.kill("SIGKILL");
    }
  });
  await exited;
  if (child.signalCode !== "SIGKILL") throw new Error(`child exited by itself: ${stderr}`);
}

it(`keeps every acknowledged block whole across ${KILLS} SIGKILLs`, async () => {
  const seed = Number(process.env.WAL_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`wal-crash seed: ${seed} (replay with WAL_CRASH_SEED=${seed})`);
  const random = prng(seed);
  const dir = join(root, "db");
  const acked = new Map<number, number>();
  for (let kill = 0; kill < KILLS; kill++) {
    await runAndKill(dir, Math.floor(random() * 60), acked);
    const store = await openCheckpointStore(dir);
    for (const receiverId of [0, 1]) {
      const last = await store.wal.lastBlock(receiverId);
      const ackedUpTo = acked.get(receiverId) ?? -1;
      expect(last?.seq ?? -1, `receiver ${receiverId} after kill ${kill}`).toBeGreaterThanOrEqual(ackedUpTo);
      const blocks = await store.wal.read(receiverId, 0, (last?.seq ?? -1) + 1);
      expect(blocks.map((b) => b.seq)).toEqual(blocks.map((_, i) => i)); // dense from 0, no hole
      for (const b of blocks) expect(b, `block ${receiverId}/${b.seq}`).toEqual({ seq: b.seq, ...expectedBlock(receiverId, b.seq) });
      if (last !== undefined) expect(last.offset).toBe(expectedBlock(receiverId, last.seq).offset);
    }
    await store.close();
  }
  expect([...acked.values()].some((s) => s > 0)).toBe(true);
}, 300_000);
