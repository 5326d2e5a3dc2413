/**
 * Event-time windows against a batch computation: records arrive late and out of order in random
 * batches; the job runs in append mode (optionally stopped and recovered in between) and is flushed
 * at the end by one record far in the future. Then:
 * - the watermark of batch b is max(W of b−1, max event time of the batches before b − delay);
 * - the records reported late are exactly those whose window was final when they arrived
 *   (sliding: any of their windows; session: their own session, or one of their key's sessions
 *   already emitted that they would merge into);
 * - the append output equals a batch computation over every (record, window) that was not late,
 *   each window emitted once: for tumbling and session windows, over all records that were not late.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/event-time-model.test.ts
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { ManualClock } from "../lib/clock.js";
import type { EventTimeInfo } from "../lib/listener.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { CheckpointStore } from "../storage/checkpoint-store.js";
import { MemoryKv } from "../storage/memory-kv.js";
import { windowStarts } from "../lib/event-time/window-spec.js";
import { canonical, replayParams, runs } from "./support/seed.js";

const BATCH = 1000;
const RUNS = runs(60, 1000);
const FAR = 1e12;

interface Rec {
  k: string;
  t: number;
  id: number;
}
type Window = { size: number; slide: number } | { gap: number };
/** [key, [count, sum of ids], start, end] */
type Row = [string, [number, number], number, number];

/** The engine on a checkpoint in memory; stops and recovers after `restartAfter` batches if given. */
async function engine(batches: Rec[][], delay: number, window: Window, restartAfter: number | undefined) {
  const rows: Row[] = [];
  const late = new Map<number, Rec[]>();
  const infos = new Map<number, EventTimeInfo | undefined>();
  let kv = new MemoryKv();
  let clock = new ManualClock(0);
  const run = async (queue: Rec[][], n: number): Promise<void> => {
    const store = kv;
    const ssc = await StreamingContext.getOrCreate("(memory)", () => {
      const s = new StreamingContext({ batchDuration: BATCH, clock, checkpointOptions: { snapshotInterval: 2, retainBatches: 1, openStore: () => CheckpointStore.over(store) } });
      const events = s.queueStream(queue).withWatermark((r) => r.t, delay);
      events
        .map((r): [string, [number, number]] => [r.k, [1, r.id]])
        .windowedReduceByKey((a, b): [number, number] => [a[0] + b[0], a[1] + b[1]], window)
        .name("windows")
        .foreachRDD((rdd) => void rows.push(...rdd.collect().map(([k, v, w]): Row => [k, v, w.start, w.end])));
      events.lateRecords().foreachRDD((rdd, t) => void late.set(t, rdd.collect()));
      s.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => void infos.set(batchInfo.batchTime, batchInfo.eventTime?.[0]) });
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
  return { rows, late, infos };
}

/** The windows of one record. */
function windowsOf(t: number, w: { size: number; slide: number }): [number, number][] {
  return windowStarts(t, w.size, w.slide).map((s) => [s, s + w.size]);
}

/** Sessions of non-late records: per key, sorted by time, merged while the next starts ≤ the current end. */
function sessions(records: Rec[], gap: number): Row[] {
  const byKey = new Map<string, Rec[]>();
  for (const r of records) byKey.set(r.k, [...(byKey.get(r.k) ?? []), r]);
  const out: Row[] = [];
  for (const [k, rs] of byKey) {
    rs.sort((a, b) => a.t - b.t);
    let cur: Row | undefined;
    for (const r of rs) {
      if (cur !== undefined && r.t <= cur[3]) {
        cur[1] = [cur[1][0] + 1, cur[1][1] + r.id];
        cur[3] = Math.max(cur[3], r.t + gap);
      } else {
        if (cur !== undefined) out.push(cur);
        cur = [k, [1, r.id], r.t, r.t + gap];
      }
    }
    if (cur !== undefined) out.push(cur);
  }
  return out;
}

// Event times on a 500 ms grid, so that window ends, session ends and watermarks often coincide:
// the boundaries (end ≤ watermark is final; touching sessions merge) are what is tested.
const record = (b: number) =>
  fc.record({ k: fc.constantFrom("a", "b", "c"), jitter: fc.integer({ min: -12, max: 5 }) }).map(({ k, jitter }) => ({ k, t: b * BATCH + jitter * 500 }));
const windowArb: fc.Arbitrary<Window> = fc.oneof(
  fc.constantFrom(1000, 2000, 3000).map((size) => ({ size, slide: size })),
  fc.tuple(fc.constantFrom(2000, 3000, 4000), fc.constantFrom(1000, 1500, 2000)).map(([size, slide]) => ({ size, slide })),
  fc.constantFrom(500, 1000, 2500).map((gap) => ({ gap })),
);

it(`append output equals a batch computation over the records that were not late (${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, b) => fc.array(record(b), { maxLength: 6 })))),
      fc.constantFrom(0, 1000, 3000),
      windowArb,
      fc.option(fc.nat(), { nil: undefined }),
      async (generated, delay, window, restartSeed) => {
        let id = 0;
        const batches: Rec[][] = generated.map((b) => b.map((r) => ({ ...r, id: ++id })));
        // Flush: a record far ahead moves the watermark past every window; one more batch emits them.
        batches.push([{ k: "~", t: FAR, id: 0 }], []);
        const restartAfter = restartSeed === undefined ? undefined : restartSeed % batches.length;
        const got = await engine(batches, delay, window, restartAfter);

        // The watermark each batch used.
        const wm: number[] = [];
        let max = -Infinity;
        let w = -Infinity;
        batches.forEach((b, i) => {
          wm.push(w);
          expect(got.infos.get((i + 1) * BATCH)?.watermark ?? -Infinity, `watermark of batch ${i + 1}`).toBe(w);
          for (const r of b) max = Math.max(max, r.t);
          w = Math.max(w, max - delay);
        });

        // Which records were late, by the rule, and the (record, window) pairs that count.
        const kept: Rec[] = [];
        const pairs: Row[] = [];
        const emittedEnd = new Map<string, number>(); // per key, end of its sessions emitted so far
        batches.forEach((b, i) => {
          const expectedLate: Rec[] = [];
          for (const r of b) {
            if (r.k === "~") continue;
            let isLate: boolean;
            if ("gap" in window) {
              isLate = r.t + window.gap <= (wm[i] as number) || r.t <= (emittedEnd.get(r.k) ?? -Infinity);
              if (!isLate) kept.push(r);
            } else {
              const ws = windowsOf(r.t, window);
              isLate = ws.some(([, end]) => end <= (wm[i] as number));
              for (const [start, end] of ws) if (end > (wm[i] as number)) pairs.push([r.k, [1, r.id], start, end]);
            }
            if (isLate) expectedLate.push(r);
          }
          expect(canonical(got.late.get((i + 1) * BATCH) ?? []), `late records of batch ${i + 1}`).toBe(canonical(expectedLate));
          // Sessions the batch emitted (they end at or before its watermark).
          if ("gap" in window) {
            for (const s of sessions(kept, window.gap)) if (s[3] <= (wm[i] as number)) emittedEnd.set(s[0], Math.max(emittedEnd.get(s[0]) ?? -Infinity, s[3]));
          }
        });

        let expected: Row[];
        if ("gap" in window) {
          expected = sessions(kept, window.gap);
        } else {
          const byWindow = new Map<string, Row>();
          for (const p of pairs) {
            const key = `${p[0]}|${p[2]}`;
            const cur = byWindow.get(key);
            byWindow.set(key, cur === undefined ? p : [p[0], [cur[1][0] + 1, cur[1][1] + p[1][1]], p[2], p[3]]);
          }
          expected = [...byWindow.values()];
        }
        expect(canonical(got.rows.filter((r) => r[0] !== "~")), "emitted windows").toBe(canonical(expected));
      },
    ),
    { ...replayParams("event-time-model"), numRuns: RUNS },
  );
}, 600_000);
