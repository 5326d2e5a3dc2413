import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { openCheckpointStore } from "../../storage/checkpoint-store.js";
import { ManualClock } from "../clock.js";
import type { DStream } from "../dstream/internal.js";
import type { BatchPlan } from "../scheduler/batch-log.js";
import { StreamingContext } from "../streaming-context.js";
import { Seconds } from "../time.js";
import { runEventTime } from "../test-support/event-time-run.js";
import { StreamTest } from "../test-support/stream-test.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-event-time-");
const add = (a: number, b: number): number => a + b;

describe("sliding windows", () => {
  it("a record late for its earliest window still counts in its open ones, and is reported late", async () => {
    // Windows of 10 s every 5 s. At watermark 12 s, (3 s) belongs to [-5, 5) and [0, 10): both final;
    // (8 s) to [0, 10) (final) and [5, 15) (open).
    const run = await runEventTime(await tempDir(), [[1, 2, 22], [3, 8], [], [30]], (s: DStream<number>) => {
      const events = s.withWatermark((v) => v * 1000, Seconds(10));
      return {
        out: events
          .map((): [string, number] => ["n", 1])
          .windowedReduceByKey(add, { size: Seconds(10), slide: Seconds(5) })
          .map(([, n, w]) => [w.start / 1000, n]),
        late: events.lateRecords(),
      };
    });
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 12_000, 12_000, 12_000]);
    expect(run.late).toEqual([[], [3, 8], [], []]);
    expect(run.infos[1]?.[0]).toMatchObject({ numLateRecords: 2, numRowsDroppedByWatermark: 3 });
    // [-5, 5) and [0, 10) close at watermark 12 (batch 2) with what they had before; [5, 15) took 8.
    expect(run.outputs).toEqual([[], [[-5, 2], [0, 2]], [], []]);
    const final = await runEventTime(await tempDir(), [[1, 2, 22], [3, 8], [], [30], []], (s: DStream<number>) => ({
      out: s
        .withWatermark((v) => v * 1000, Seconds(10))
        .map((): [string, number] => ["n", 1])
        .windowedReduceByKey(add, { size: Seconds(10), slide: Seconds(5) })
        .map(([, n, w]) => [w.start / 1000, n]),
    }));
    expect(final.outputs[4]).toEqual([[5, 1]]);
  });

  it("windows are aligned to the epoch, also for negative event times", async () => {
    const run = await runEventTime(await tempDir(), [[-7, -3, 4], [100]], (s: DStream<number>) => ({
      out: s
        .withWatermark((v) => v * 1000, 0)
        .map((v): [string, number] => ["k", v])
        .windowedReduceByKey(add, { size: Seconds(5) })
        .map(([, sum, w]) => [w.start / 1000, w.end / 1000, sum]),
    }), { numBatches: 3 });
    expect(run.outputs[1]).toEqual([[-10, -5, -7], [-5, 0, -3]]);
    expect(run.outputs[2]).toEqual([[0, 5, 4]]);
  });
});

describe("several inputs", () => {
  /** Two inputs, selected from one queue by tag, delays 2 s and 0 s. */
  const twoInputs = (idleTimeout?: number) => (s: DStream<["a" | "b", number]>) => {
    const a = s.filter(([tag]) => tag === "a").withWatermark(([, t]) => t * 1000, Seconds(2), idleTimeout === undefined ? undefined : { idleTimeout });
    const b = s.filter(([tag]) => tag === "b").withWatermark(([, t]) => t * 1000, 0, idleTimeout === undefined ? undefined : { idleTimeout });
    const both = a.union(b);
    return {
      out: both.map(([tag]): [string, number] => [tag, 1]).windowedReduceByKey(add, { size: Seconds(10) }).map(([k, n, w]) => [k, w.start / 1000, n]),
      late: both.lateRecords(),
    };
  };
  const input: ["a" | "b", number][][] = [[["a", 5], ["b", 4]], [["a", 12]], [["a", 25]], [["a", 31]], [["a", 40]], [["b", 6], ["b", 41]], []];

  it("the watermark is the minimum over the inputs: a silent input holds it back (Spark)", async () => {
    const run = await runEventTime(await tempDir(), input, twoInputs());
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 3000, 4000, 4000, 4000, 4000, 38_000]);
    // Nothing is final before batch 7; then every window that ends by 38 s.
    expect(run.outputs.slice(0, 6).flat()).toEqual([]);
    expect(run.outputs[6]).toEqual([
      ["a", 0, 1],
      ["b", 0, 2],
      ["a", 10, 1],
      ["a", 20, 1],
    ]);
  });

  it("an input idle for longer than idleTimeout stops holding it back (Flink); its records behind it are late", async () => {
    const run = await runEventTime(await tempDir(), input, twoInputs(Seconds(2)));
    // b is silent after batch 1 (t = 1 s): idle from batch 4 (4 − 1 > 2), so a alone moves it on;
    // active again from its records in batch 6.
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 3000, 4000, 23_000, 29_000, 38_000, 38_000]);
    expect(run.outputs[3]).toEqual([["a", 0, 1], ["b", 0, 1], ["a", 10, 1]]);
    // b comes back with 6 s (its window [0, 10) is final) and 41 s.
    expect(run.late[5]).toEqual([["b", 6]]);
    expect(run.outputs[5]).toEqual([["a", 20, 1]]);
  });

  it("an input that never had a record holds the watermark back until it is idle", async () => {
    const run = await runEventTime(await tempDir(), [[["a", 5]], [["a", 15]], [["a", 25]], [["a", 35]], []], twoInputs(Seconds(3)));
    // Idle from batch 4 (4 − 0 > 3): then a alone sets it.
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, undefined, undefined, 23_000, 33_000]);
  });

  it("a join of watermarked streams, watermarked again, uses the minimum over all three", async () => {
    const run = await runEventTime(await tempDir(), [[["a", 10], ["b", 30]], [], [["a", 50]], []], (s: DStream<["a" | "b", number]>) => {
      const a = s.filter(([tag]) => tag === "a").withWatermark(([, t]) => t * 1000, 0).map(([, t]): [string, number] => ["k", t]);
      const b = s.filter(([tag]) => tag === "b").withWatermark(([, t]) => t * 1000, 0).map(([, t]): [string, number] => ["k", t]);
      const joined = a.join(b).withWatermark(([, [ta, tb]]) => Math.max(ta, tb) * 1000, 0);
      return { out: joined.map(([k]): [string, number] => [k, 1]).windowedReduceByKey(add, { size: Seconds(10) }) };
    });
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 10_000, 10_000, 30_000]);
  });
});

describe("checkpoint", () => {
  const job = (size: number, mode: "append" | "update" = "append") => (s: DStream<number>) =>
    s
      .withWatermark((v) => v * 1000, Seconds(5))
      .map((v): [string, number] => ["k", v])
      .windowedReduceByKey(add, { size }, { mode })
      .name("sums");

  it("records the watermark of each batch in its plan, before the batch runs", async () => {
    const dir = await tempDir();
    const t = new StreamTest(job(Seconds(10)), { retainBatches: 10 }, dir);
    t.addData(12).addData(30).addData(1);
    await t.start();
    await t.advance(3);
    await t.stop();
    const store = await openCheckpointStore(dir);
    try {
      const plans = await store.batchPlansFrom(0);
      expect(plans.map((p) => [p.time, (p.plan as BatchPlan).operators?.["sums"]])).toEqual([
        [1000, -Infinity],
        [2000, 7000],
        [3000, 25_000],
      ]);
    } finally {
      await store.close();
    }
    expect(t.outputs.map(([, out]) => out)).toEqual([[], [], [["k", 12, { start: 10_000, end: 20_000 }]]]);
  });

  it("a changed window, or mode, is a checkpoint mismatch naming the operator", async () => {
    const dir = await tempDir();
    const t = new StreamTest(job(Seconds(10)), {}, dir);
    t.addData(12);
    await t.start();
    await t.advance(1);
    await t.stop();
    await expect(new StreamTest(job(Seconds(20)), {}, dir).start()).rejects.toMatchObject({
      code: ErrorCodes.CHECKPOINT_MISMATCH,
      message: expect.stringMatching(/operator sums retyped: EventTimeWindow\(size=10000,slide=10000,append\) "sums" → EventTimeWindow\(size=20000,slide=20000,append\)/),
    });
    await expect(new StreamTest(job(Seconds(10), "update"), {}, dir).start()).rejects.toMatchObject({ code: ErrorCodes.CHECKPOINT_MISMATCH });
    // The same window with another function body recovers its state.
    const bodyChanged = new StreamTest(
      (s: DStream<number>) =>
        s
          .withWatermark((v) => v * 1000, Seconds(5))
          .map((v): [string, number] => ["k", v])
          .windowedReduceByKey((a, b) => b + a, { size: Seconds(10) })
          .name("sums"),
      {},
      dir,
    );
    bodyChanged.addData(14).addData(31);
    const ssc = await bodyChanged.start();
    expect(ssc.recovered).toBe(true);
    await bodyChanged.advance(4);
    await bodyChanged.stop();
    expect(bodyChanged.outputs.flatMap(([, out]) => out)).toEqual([["k", 26, { start: 10_000, end: 20_000 }]]);
  });

  it("needs a checkpoint directory", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    job(Seconds(10))(ssc.queueStream<number>([])).print();
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.CHECKPOINT_REQUIRED, message: expect.stringMatching(/EventTimeWindow/) });
  });
});

describe("state is bounded by the watermark", () => {
  it("keeps only the windows the watermark has not passed, however long the stream runs", async () => {
    // 200 batches of 50 keys, event times moving 1 s per batch, 3 s out of order, delay 5 s,
    // tumbling 2 s windows and 1.5 s sessions.
    const input: number[][] = [];
    for (let b = 0; b < 200; b++) input.push(Array.from({ length: 50 }, (_, i) => b * 1000 - ((i * 7919) % 3000)));
    const build = (window: { size: number } | { gap: number }) => (s: DStream<number>) => ({
      out: s
        .withWatermark((t) => t, Seconds(5))
        .map((t): [number, number] => [t % 50, 1])
        .windowedReduceByKey(add, window),
    });
    for (const window of [{ size: Seconds(2) }, { gap: 1500 }]) {
      const run = await runEventTime(await tempDir(), input, build(window));
      const rows = run.infos.map((i) => i[0]?.numRowsTotal ?? 0);
      const bound = 50 * 6; // keys × windows per key between watermark and newest event
      expect(Math.max(...rows), JSON.stringify(window)).toBeLessThanOrEqual(bound);
      expect(Math.max(...rows.slice(100)), JSON.stringify(window)).toBe(Math.max(...rows.slice(20, 100)));
      const emitted = run.outputs.flat().reduce((n, [, c]) => n + c, 0);
      const late = run.infos.reduce((n, i) => n + (i[0]?.numLateRecords ?? 0), 0);
      const open = run.infos[199]?.[0]?.numRowsTotal ?? 0;
      expect(emitted + late, JSON.stringify(window)).toBeLessThanOrEqual(200 * 50);
      expect(open, JSON.stringify(window)).toBeGreaterThan(0);
    }
  });
});

describe("bad input", () => {
  it("rejects bad arguments with what was expected", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    expect(() => s.withWatermark((v) => v, -1)).toThrow(/delay must be a non-negative whole number of milliseconds.*-1/);
    expect(() => s.withWatermark("t" as never, 10)).toThrow(TypeError);
    expect(() => s.withWatermark((v) => v, 10, { idleTimeout: 0 })).toThrow(/idleTimeout must be a positive/);
    const pairs = s.withWatermark((v) => v, 10).map((v): [number, number] => [v, v]);
    expect(() => pairs.windowedReduceByKey(add, { size: 10, slide: 20 })).toThrow(/window.slide \(20 ms\) must not exceed window.size \(10 ms\)/);
    expect(() => pairs.windowedReduceByKey(add, { size: 10, gap: 5 } as never)).toThrow(/not both/);
    expect(() => pairs.windowedReduceByKey(add, { gap: 0 })).toThrow(/window.gap must be a positive/);
    expect(() => pairs.windowedReduceByKey(add, {} as never)).toThrow(/neither size nor gap/);
    expect(() => pairs.windowedReduceByKey(add, { size: 10 }, { mode: "complete" as never })).toThrow(/"append" or "update"; got complete/);
    expect(() => pairs.windowedReduceByKey(undefined as never, { size: 10 })).toThrow(TypeError);
  });

  it("an event time that is not a finite number fails the batch, naming the record", async () => {
    await expect(
      runEventTime(await tempDir(), [[{ t: 5 }, { t: undefined }]], (s: DStream<{ t: number | undefined }>) => ({
        out: s
          .withWatermark((r) => r.t as number, 0)
          .map((r): [string, number] => ["k", r.t ?? 0])
          .windowedReduceByKey(add, { size: 10 }),
      })),
    ).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED, cause: expect.objectContaining({ message: expect.stringMatching(/finite number.*got undefined for record #1 of batch 1000 \(\{\}\)/) }) });
  });
});
