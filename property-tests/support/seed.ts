/**
 * Seeds and run counts of the property tests. Every property prints its seed; set `DSTREAM_SEED`
 * to replay it. `DSTREAM_DEEP=1` (npm run test:deep) runs many more cases.
 */

export { prng } from "../../lib/test-support/prng.js";

/** True when the deep (long) variant is asked for. */
export const deep = process.env.DSTREAM_DEEP === "1" || process.env.DSTREAM_DEEP === "true";

/** The seed of property `name`: `DSTREAM_SEED` if set, else a random one; printed either way. */
export function seedFor(name: string): number {
  const given = process.env.DSTREAM_SEED;
  const seed = given !== undefined && given !== "" ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`DSTREAM_SEED must be an integer; got ${given}`);
  console.log(`[${name}] seed ${seed} (replay: DSTREAM_SEED=${seed} npx vitest run property-tests)`);
  return seed;
}

/**
 * fast-check parameters for property `name`: its seed, and `DSTREAM_PATH` (the path fast-check
 * prints with a counterexample) to replay one failing case directly.
 */
export function replayParams(name: string): { seed: number; path?: string } {
  const seed = seedFor(name);
  const path = process.env.DSTREAM_PATH;
  return path === undefined || path === "" ? { seed } : { seed, path };
}

/**
 * Output order is compared exactly (batches are deterministic, DESIGN.md §2), unless
 * DSTREAM_STRICT_ORDER=0 asks for multisets while hunting a different bug.
 */
export const strictOrder = process.env.DSTREAM_STRICT_ORDER !== "0";

/** A batch's output as compared: as produced with strict order, else sorted (a multiset). */
export function asCompared(xs: readonly unknown[] | undefined): string {
  if (xs === undefined) return "(no output)";
  const items = xs.map((x) => JSON.stringify(x));
  return JSON.stringify(strictOrder ? items : items.sort());
}

/** `normal` runs by default, `deepRuns` with DSTREAM_DEEP=1. */
export function runs(normal: number, deepRuns: number): number {
  return deep ? deepRuns : normal;
}

/** A value in a canonical form for comparing states: Maps as sorted entries, arrays sorted. */
export function canonical(x: unknown): string {
  return JSON.stringify(canon(x));
}

function canon(x: unknown): unknown {
  if (x instanceof Map) return canon([...x.entries()]);
  if (Array.isArray(x)) return x.map(canon).sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b)));
  if (typeof x === "bigint") return `${x}n`;
  if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, canon(o[k])]));
  }
  return x === undefined ? null : x;
}

const cmp = (a: string | undefined, b: string | undefined): number => ((a ?? "") < (b ?? "") ? -1 : (a ?? "") > (b ?? "") ? 1 : 0);
