/**
 * mapWithState against a reference model (DESIGN.md §3.4): the function runs once per record, only
 * for keys with data; `update`/`remove`/read-only calls; a key is idle when its last update time is
 * before `batch time − timeout` (strict), gets one last call with `isTimingOut()` where `update`
 * throws, and is removed; with a timeout any record refreshes its key's time; initial state takes
 * part from the first batch; `stateSnapshots()` is the whole state after each batch. Optionally the
 * job stops and recovers from its checkpoint in between, so update times survive a restart.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/map-with-state-model.test.ts
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { ManualClock } from "../lib/clock.js";
import { StateSpec, type State } from "../lib/dstream/internal.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { CheckpointStore } from "../storage/checkpoint-store.js";
import { MemoryKv } from "../storage/memory-kv.js";
import { canonical, runs, seedFor } from "./support/seed.js";

const BATCH = 1000;
const RUNS = runs(300, 5000);

type Rec = [number, number];

/** The mapping function under test; the action is chosen by the value. */
function mapping(k: number, v: number | undefined, st: State<number>): string | undefined {
  if (st.isTimingOut()) {
    let threw = false;
    try {
      st.update(0);
    } catch {
      threw = true;
    }
    return `timeout ${k} ${st.get()} updateThrew=${threw}`;
  }
  const value = v ?? 0;
  const prev = st.getOption();
  switch (value % 4) {
    case 0:
      st.update((prev ?? 0) + value);
      return `update ${k} ${prev} +${value}`;
    case 1:
      if (st.exists()) st.remove();
      return `remove ${k} ${prev}`;
    case 2:
      return `read ${k} ${prev}`;
    default:
      st.update((prev ?? 0) + value);
      return undefined;
  }
}

interface Model {
  mapped: Map<number, string[]>;
  snapshots: Map<number, [number, number][]>;
}

/** The reference: a plain Map of key → { value, updatedAt }, batch by batch. */
function model(batches: Rec[][], initial: [number, number][], timeout: number | undefined): Model {
  const state = new Map<number, { value: number; updatedAt: number }>();
  const out: Model = { mapped: new Map(), snapshots: new Map() };
  batches.forEach((records, i) => {
    const time = (i + 1) * BATCH;
    if (i === 0) for (const [k, s] of initial) state.set(k, { value: s, updatedAt: time });
    const mapped: string[] = [];
    for (const [k, v] of records) {
      const cur = state.get(k);
      const prev = cur?.value;
      switch (v % 4) {
        case 0:
          state.set(k, { value: (prev ?? 0) + v, updatedAt: time });
          mapped.push(`update ${k} ${prev} +${v}`);
          break;
        case 1:
          state.delete(k);
          mapped.push(`remove ${k} ${prev}`);
          break;
        case 2:
          if (cur !== undefined && timeout !== undefined) cur.updatedAt = time;
          mapped.push(`read ${k} ${prev}`);
          break;
        default:
          state.set(k, { value: (prev ?? 0) + v, updatedAt: time });
      }
    }
    if (timeout !== undefined) {
      for (const [k, s] of [...state]) {
        if (s.updatedAt < time - timeout) {
          mapped.push(`timeout ${k} ${s.value} updateThrew=true`);
          state.delete(k);
        }
      }
    }
    out.mapped.set(time, mapped);
    out.snapshots.set(time, [...state].map(([k, s]) => [k, s.value]));
  });
  return out;
}

/** The engine, on a checkpoint in memory; stops and recovers after `restartAfter` batches if given. */
async function engine(batches: Rec[][], initial: [number, number][], timeout: number | undefined, restartAfter: number | undefined): Promise<Model> {
  const out: Model = { mapped: new Map(), snapshots: new Map() };
  let kv = new MemoryKv();
  let clock = new ManualClock(0);
  const run = async (queue: Rec[][], n: number): Promise<void> => {
    const store = kv;
    const ssc = await StreamingContext.getOrCreate("(memory)", () => {
      const s = new StreamingContext({ batchDuration: BATCH, clock, checkpointOptions: { snapshotInterval: 2, retainBatches: 1, openStore: () => CheckpointStore.over(store) } });
      let spec = StateSpec.function<number, number, number, string>(mapping);
      if (initial.length > 0) spec = spec.initialState(initial);
      if (timeout !== undefined) spec = spec.timeout(timeout);
      const mws = s.queueStream(queue).mapWithState(spec);
      mws.foreachRDD((rdd, t) => void out.mapped.set(t, rdd.collect()));
      mws.stateSnapshots().foreachRDD((rdd, t) => void out.snapshots.set(t, rdd.collect()));
      return s;
    });
    await ssc.start();
    await clock.advance(n * BATCH);
    await ssc.stop();
    kv = kv.reopen();
    clock = new ManualClock(clock.now());
  };
  const cut = restartAfter ?? batches.length;
  await run(batches.slice(0, cut).map((b) => [...b]), cut);
  if (cut < batches.length) await run(batches.slice(cut).map((b) => [...b]), batches.length - cut);
  return out;
}

const recs = fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 20 })), { maxLength: 6 });

it(`mapWithState equals the reference model, timeouts and restarts included (${RUNS} runs)`, async () => {
  const seed = seedFor("map-with-state-model");
  await fc.assert(
    fc.asyncProperty(
      fc.array(recs, { minLength: 1, maxLength: 10 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 9 })), { maxLength: 3 }),
      fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      fc.option(fc.nat(), { nil: undefined }),
      async (batches, init, timeoutBatches, restartSeed) => {
        // Initial state with unique keys (a later duplicate would overwrite the first).
        const initial = [...new Map(init)];
        const timeout = timeoutBatches === undefined ? undefined : timeoutBatches * BATCH;
        const restartAfter = restartSeed === undefined ? undefined : restartSeed % batches.length;
        const expected = model(batches, initial, timeout);
        const got = await engine(batches, initial, timeout, restartAfter);
        for (const [time, mapped] of expected.mapped) {
          expect(canonical(got.mapped.get(time)), `mapped records of batch ${time}`).toBe(canonical(mapped));
          expect(canonical(got.snapshots.get(time)), `state snapshot of batch ${time}`).toBe(canonical(expected.snapshots.get(time)));
        }
      },
    ),
    { seed, numRuns: RUNS },
  );
}, 600_000);
