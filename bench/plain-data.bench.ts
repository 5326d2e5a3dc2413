/**
 * What the plain-data check costs where values enter and are encoded (API.md "Records and state
 * are plain data"): for the values the engine encodes most, the check alone against the whole
 * encode (its own check, pack, CRC) in the same run. For WAL blocks the check is the one
 * `storeMany` makes at entry (lines need one typeof each); for a state delta it is the walk inside
 * `encodeValue`.
 *
 *   npx tsx bench/plain-data.bench.ts [--smoke]
 */
import { encodeValue } from "../storage/codec.js";
import { scanPlainData } from "../storage/plain-data.js";
import { notPlainRecord } from "../lib/receiver/plain-records.js";
import { encodeBlock } from "../storage/wal-block.js";
import { isMain, main, type BenchOptions, type BenchResult } from "./common.js";

/** Best time per call in µs over `rounds` rounds of `inner` calls (min: the load of a shared machine only adds). */
function best(rounds: number, inner: number, f: () => unknown): number {
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < inner; i++) f();
    min = Math.min(min, ((performance.now() - t) / inner) * 1000);
  }
  return min;
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const n = smoke ? 100 : 1000;
  const lines = Array.from({ length: n }, (_, i) => `record-${String(i).padStart(8, "0")}-abcdefghijklm`.slice(0, 30));
  const objects = Array.from({ length: n }, (_, i) => ({ id: i, word: `w${i}`, tags: ["a", "b"], at: 1_700_000_000_000 + i }));
  const delta = { set: Array.from({ length: n * 10 }, (_, i): [string, number] => [`key-${i}`, i]), removed: [`gone`] };
  const rounds = smoke ? 2 : 30;
  const cases = {
    [`block of ${n} 30-byte lines`]: [() => encodeBlock(lines, 1), () => notPlainRecord(lines, "storeMany")],
    [`block of ${n} small objects`]: [() => encodeBlock(objects, 1), () => notPlainRecord(objects, "storeMany")],
    [`state delta of ${n * 10} keys`]: [() => encodeValue(delta), () => scanPlainData(delta)],
  } as const;
  const figures: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  for (const [name, [encode, check]] of Object.entries(cases)) {
    const e = best(rounds, smoke ? 2 : 20, encode);
    const c = best(rounds, smoke ? 2 : 20, check);
    figures[`${name}: encode us`] = e;
    figures[`${name}: check us`] = c;
    ratios[`${name}: check / encode`] = c / e;
  }
  return { name: "plain-data check vs encode (codec format 2)", figures, ratios, notes: ["best of rounds; blocks: the check storeMany makes at entry; delta: the check inside the encode (part of its figure)"] };
}

if (isMain(import.meta.url)) await main(run);
