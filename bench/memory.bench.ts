/**
 * Memory per state key and snapshot time. A `KeyedState<string, number>` of 1M keys (its delta
 * taken, as after a commit) is built in a child process started with `--expose-gc`, and the heap
 * growth after a full GC divided by the key count; baseline in the same child: a plain
 * `Map<string, number>` of the same keys. Keys are `key-<i>`; the key strings are counted (they are
 * part of what a state holds). Snapshot: copying and packing the state (`KeyedState.snapshot()`
 * and `encodeSnapshot`, on the batch path: the packed bytes must be the committed state, which the
 * next batch may change in place) and writing it (`CheckpointStore.writeEncodedSnapshot`, chunked,
 * synced; off the batch path).
 *
 *   npx tsx bench/memory.bench.ts [--smoke]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { KeyedState } from "../lib/dstream/state-operator.js";
import { FORMAT_VERSION, openCheckpointStore } from "../storage/checkpoint-store.js";
import { encodeSnapshot } from "../storage/snapshots.js";
import { isMain, main, type BenchOptions, type BenchResult } from "./common.js";
import { filledState } from "./commit-cost.bench.js";
import { tempDir } from "./harness.js";

type Gc = () => void;

function heapAfterGc(gc: Gc): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs in the child: bytes per key of a KeyedState and of a plain Map, each built from nothing. */
export function measureInChild(n: number, gc: Gc): { keyedState: number; plainMap: number } {
  let base = heapAfterGc(gc);
  let map: Map<string, number> | undefined = new Map();
  for (let i = 0; i < n; i++) map.set(`key-${i}`, i);
  const plainMap = (heapAfterGc(gc) - base) / n;
  if (map.size !== n) throw new Error("map size");
  map = undefined;
  base = heapAfterGc(gc);
  let state: KeyedState<string, number> | undefined = new KeyedState<string, number>();
  for (let i = 0; i < n; i++) state.set(`key-${i}`, i);
  state.takeDelta();
  const keyedState = (heapAfterGc(gc) - base) / n;
  if (state.size !== n) throw new Error("state size");
  state = undefined;
  return { keyedState, plainMap };
}

function perKey(n: number): { keyedState: number; plainMap: number } {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc !== undefined) return measureInChild(n, gc);
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--child", String(n)], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop() as string) as { keyedState: number; plainMap: number };
}

async function snapshotMs(n: number): Promise<{ copy: number; pack: number; write: number }> {
  const state = filledState(n);
  const { dir, remove } = tempDir("snapshot");
  const store = await openCheckpointStore(dir);
  await store.writeMeta({ formatVersion: FORMAT_VERSION, zeroTime: 0, batchDuration: 1000, fingerprint: { bench: true } });
  const copies: number[] = [];
  const packs: number[] = [];
  const writes: number[] = [];
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    const snap = state.snapshot();
    const t1 = performance.now();
    const packed = encodeSnapshot("0", 1000 * (r + 1), snap);
    const t2 = performance.now();
    await store.writeEncodedSnapshot(packed);
    copies.push(t1 - t0);
    packs.push(t2 - t1);
    writes.push(performance.now() - t2);
  }
  await store.close();
  remove();
  return { copy: Math.min(...copies), pack: Math.min(...packs), write: Math.min(...writes) };
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const n = smoke ? 20_000 : 1_000_000;
  const m = perKey(n);
  const s = await snapshotMs(n);
  const label = n.toLocaleString("en-US");
  return {
    name: "memory per state key and snapshot time",
    figures: {
      [`KeyedState heap bytes/key at ${label} keys`]: m.keyedState,
      [`plain Map heap bytes/key at ${label} keys`]: m.plainMap,
      [`snapshot copy (on the batch path) ms, ${label} keys`]: s.copy,
      [`snapshot pack (on the batch path) ms, ${label} keys`]: s.pack,
      [`snapshot write (background) ms, ${label} keys`]: s.write,
    },
    ratios: { "KeyedState/plain Map bytes": m.keyedState / m.plainMap },
    notes: ["keys `key-<i>` (strings counted), number values; heap measured after two full GCs in a --expose-gc child"],
  };
}

if (process.argv.includes("--child")) {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc === undefined) throw new Error("the child needs --expose-gc");
  console.log(JSON.stringify(measureInChild(Number(process.argv[process.argv.indexOf("--child") + 1]), gc)));
} else if (isMain(import.meta.url)) {
  await main(run);
}
