/**
 * Commit cost against state size: a keyed state of 10k, 100k and 1M keys with 1% and 10% of its
 * keys changed per batch, through the real commit path: `KeyedState` tracks the changed keys, its
 * delta is taken and written with `CheckpointStore.commit` (one synced LevelDB write holding the
 * commit record and meta) on a real LevelDB checkpoint. Baseline in the same run: a synced write of
 * one small value (the floor any commit pays). Target: 10k changed keys in a 1M-key state ≤ 10 ms.
 *
 * Also: the commit mark's cost (the synced file outside LevelDB that catches rollbacks), as empty
 * commits with and without it, interleaved; and one updateStateByKey batch at the largest size (the update runs for every key, Spark's
 * semantics), i.e. what a batch costs around the commit.
 *
 *   npx tsx bench/commit-cost.bench.ts [--smoke]
 */
import { ManualClock } from "../lib/clock.js";
import { KeyedState } from "../lib/dstream/state-operator.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { CheckpointStore, openCheckpointStore, FORMAT_VERSION } from "../storage/checkpoint-store.js";
import { LevelKv } from "../storage/level-kv.js";
import { isMain, main, median, type BenchOptions, type BenchResult } from "./common.js";
import { tempDir } from "./harness.js";

/** The key of state entry `i`: strings of the length a word or id typically has. */
export const stateKey = (i: number): string => `key-${i}`;

/** A KeyedState holding `n` keys, its initial delta already taken (committed). */
export function filledState(n: number): KeyedState<string, number> {
  const s = new KeyedState<string, number>();
  for (let i = 0; i < n; i++) s.set(stateKey(i), i);
  s.takeDelta();
  return s;
}

/** Median ms of `rounds` commits of `changed` changed keys (delta taking included) into `n` keys. */
async function commitMs(n: number, changed: number, rounds: number): Promise<{ commit: number; take: number; floor: number }> {
  const { dir, remove } = tempDir("commit");
  const store = await openCheckpointStore(dir);
  await store.writeMeta({ formatVersion: FORMAT_VERSION, zeroTime: 0, batchDuration: 1000, fingerprint: { bench: true } });
  const state = filledState(n);
  const commits: number[] = [];
  const takes: number[] = [];
  const floors: number[] = [];
  let time = 1000;
  const stride = Math.max(1, Math.floor(n / changed));
  for (let r = 0; r < rounds + 1; r++) {
    // A different slice of keys each round, spread over the whole state.
    for (let c = 0; c < changed; c++) {
      const i = (c * stride + r) % n;
      state.set(stateKey(i), i + r + 1);
    }
    const t0 = performance.now();
    const delta = state.takeDelta();
    const t1 = performance.now();
    await store.commit(time, { deltas: { "0": delta } });
    const t2 = performance.now();
    time += 1000;
    const t3 = performance.now();
    await store.commit(time, { deltas: {} });
    const t4 = performance.now();
    time += 1000;
    if (r === 0) continue; // warm-up
    takes.push(t1 - t0);
    commits.push(t2 - t0);
    floors.push(t4 - t3);
  }
  await store.close();
  remove();
  return { commit: median(commits), take: median(takes), floor: median(floors) };
}

/**
 * The commit mark's cost: empty synced commits on a checkpoint with its mark file (production)
 * and on one without (the store as before the mark existed), interleaved so both see the same
 * machine load. Median ms of each.
 */
async function markCostMs(rounds: number): Promise<{ withMark: number; without: number }> {
  const a = tempDir("commit-mark");
  const b = tempDir("commit-nomark");
  const marked = await openCheckpointStore(a.dir);
  const plain = await CheckpointStore.over(await LevelKv.open(b.dir));
  const meta = { formatVersion: FORMAT_VERSION, zeroTime: 0, batchDuration: 1000, fingerprint: { bench: true } };
  await marked.writeMeta(meta);
  await plain.writeMeta(meta);
  const withMark: number[] = [];
  const without: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const time = (r + 1) * 1000;
    const t0 = performance.now();
    await marked.commit(time, { deltas: {} });
    const t1 = performance.now();
    await plain.commit(time, { deltas: {} });
    const t2 = performance.now();
    if (r === 0) continue; // the first commit creates the mark file
    withMark.push(t1 - t0);
    without.push(t2 - t1);
  }
  await marked.close();
  await plain.close();
  a.remove();
  b.remove();
  return { withMark: median(withMark), without: median(without) };
}

/** ms of one updateStateByKey batch over `n` keys with `changed` of them receiving a record. */
export async function updateStateBatchMs(n: number, changed: number): Promise<{ batch: number; first: number }> {
  const { dir, remove } = tempDir("commit-usbk");
  const clock = new ManualClock();
  const init: string[] = Array.from({ length: n }, (_, i) => stateKey(i));
  const later: string[][] = [0, 1, 2].map((r) => Array.from({ length: changed }, (_, c) => stateKey((c * Math.floor(n / changed) + r) % n)));
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: { snapshotInterval: 1000 } });
    ssc
      .queueStream([init, ...later])
      .map((k): [string, number] => [k, 1])
      .updateStateByKey((values: number[], s: number | undefined) => (values.length === 0 ? s : (s ?? 0) + values.length))
      .foreachRDD((rdd) => void rdd.count());
    return ssc;
  });
  await ssc.start();
  let t = performance.now();
  await clock.advance(1000);
  const first = performance.now() - t;
  const ms: number[] = [];
  for (let r = 0; r < later.length; r++) {
    t = performance.now();
    await clock.advance(1000);
    ms.push(performance.now() - t);
  }
  await ssc.stop();
  remove();
  return { batch: median(ms), first };
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const sizes = smoke ? [1000, 10_000] : [10_000, 100_000, 1_000_000];
  const rounds = smoke ? 2 : 7;
  const figures: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  let floor = 0;
  let target = 0;
  for (const n of sizes) {
    for (const pct of [1, 10]) {
      const changed = Math.max(1, Math.round((n * pct) / 100));
      const r = await commitMs(n, changed, rounds);
      figures[`${fmtK(n)} keys, ${pct}% changed: commit ms`] = r.commit;
      figures[`${fmtK(n)} keys, ${pct}% changed: takeDelta ms`] = r.take;
      floor = r.floor;
      if (n === sizes[sizes.length - 1] && pct === 1) target = r.commit;
    }
  }
  figures["empty synced commit ms (floor)"] = floor;
  const mark = await markCostMs(smoke ? 5 : 200);
  figures["empty synced commit with commit mark ms"] = mark.withMark;
  figures["empty synced commit without commit mark ms"] = mark.without;
  ratios["commit with mark / without"] = mark.withMark / mark.without;
  const big = sizes[sizes.length - 1] as number;
  const u = await updateStateByKeyBatch(big);
  figures[`updateStateByKey ${fmtK(big)} keys, 1% with data: batch ms`] = u.batch;
  figures[`updateStateByKey ${fmtK(big)} keys, first batch (all new) ms`] = u.first;
  ratios[`commit of 1% in ${fmtK(big)} / 10 ms`] = target / 10;
  ratios[`commit of 1% in ${fmtK(big)} / empty commit`] = target / floor;
  return {
    name: "commit cost vs state size (KeyedState delta + CheckpointStore.commit, LevelDB, synced)",
    figures,
    ratios,
    targets: { [`commit of 1% in ${fmtK(big)} / 10 ms`]: "<= 1.0" },
    notes: [`median of ${rounds} commits per size; keys "key-<i>", number values`],
  };
}

function updateStateByKeyBatch(n: number): Promise<{ batch: number; first: number }> {
  return updateStateBatchMs(n, Math.max(1, n / 100));
}

function fmtK(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

if (isMain(import.meta.url)) await main(run);
