/**
 * Structured Streaming's EventTimeWatermarkSuite, translated batch by batch. Spark runs a batch per
 * AddData and, when the watermark moved, a no-data batch after it (where windows are finalised);
 * here batches run on the grid, so each AddData is a batch with the data followed by an empty one.
 * Event times are the suite's integers, in seconds.
 */
import { describe, expect, it } from "vitest";
import { Seconds } from "../time.js";
import type { DStream } from "../dstream/internal.js";
import { runEventTime, type EventTimeRun } from "../test-support/event-time-run.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-watermark-");

/** `(window start in s, count)` rows, as the suite selects them. */
type Row = [number, number];

/** The suite's query: `withWatermark("eventTime", "10 seconds").groupBy(window(eventTime, "5 seconds")).count()`. */
const countPerWindow = (mode: "append" | "update") => (s: DStream<number>) => {
  const events = s.withWatermark((v) => v * 1000, Seconds(10));
  const counts = events.map((): [null, number] => [null, 1]).windowedReduceByKey((a, b) => a + b, { size: Seconds(5) }, { mode });
  return { out: counts.map(([, n, w]): Row => [w.start / 1000, n]), late: events.lateRecords() };
};

/** Each AddData as a batch with the data and an empty batch. */
const steps = (...adds: number[][]): number[][] => adds.flatMap((a) => [a, []]);

/** What each Spark step (two batches here) emitted, sorted as CheckNewAnswer compares. */
function perStep<T>(batches: T[][]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < batches.length; i += 2) out.push([...(batches[i] ?? []), ...(batches[i + 1] ?? [])].sort(cmp));
  return out;
}
const cmp = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
const stateRows = (run: EventTimeRun<unknown, unknown>, batch: number): number | undefined => run.infos[batch]?.[0]?.numRowsTotal;

describe("EventTimeWatermarkSuite", () => {
  it("append mode", async () => {
    const run = await runEventTime(await tempDir(), steps([10, 11, 12, 13, 14, 15], [25], [10]), countPerWindow("append"));
    expect(perStep(run.outputs)).toEqual([[], [[10, 5]], []]);
    expect(stateRows(run, 3)).toBe(2); // assertNumStateRows(2) after the watermark reached 15
    expect(stateRows(run, 5)).toBe(2);
    expect(perStep(run.late)).toEqual([[], [], [10]]);
    expect(run.infos[4]?.[0]).toMatchObject({ watermark: 15000, numLateRecords: 1, numRowsDroppedByWatermark: 1 });
  });

  it("update mode", async () => {
    const run = await runEventTime(await tempDir(), steps([10, 11, 12, 13, 14, 15], [25], [10, 25], [10]), countPerWindow("update"));
    expect(perStep(run.outputs)).toEqual([[[10, 5], [15, 1]], [[25, 1]], [[25, 2]], []]);
    expect(stateRows(run, 3)).toBe(2);
    expect(stateRows(run, 5)).toBe(2);
    expect(stateRows(run, 7)).toBe(2);
    expect(perStep(run.late)).toEqual([[], [], [10], [10]]);
  });

  it("event time and watermark metrics: the watermark of each batch is the max of the batches before it − delay", async () => {
    const run = await runEventTime(await tempDir(), [[15], [10, 12, 14], [25], [], []], countPerWindow("append"));
    // Spark: wtrmark = 0, 5, 5 in the batches with data; here undefined (no record yet), then 5 s.
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 5000, 5000, 15000, 15000]);
    expect(run.outputs).toEqual([[], [], [], [[10, 3]], []]);
  });

  it("recovery: the watermark and the windows survive a restart; late data stays ignored", async () => {
    const dir = await tempDir();
    const input = steps([10, 11, 12, 13, 14, 15], [25], [10, 27, 30], [17], [40]);
    const expected = [[], [[10, 5]], [[15, 1]], [], [[25, 2]]];
    const clean = await runEventTime(dir, input, countPerWindow("append"));
    expect(perStep(clean.outputs)).toEqual(expected);
    expect(perStep(clean.late)).toEqual([[], [], [10], [17], []]);
    // The same job crashed at every storage write of the first process, then recovered.
    expect(clean.writes).toBeGreaterThan(20);
    for (let k = 0; k < clean.writes; k++) {
      const crashed = await runEventTime(await tempDir(), input, countPerWindow("append"), { crashAtWrite: k });
      expect(perStep(crashed.outputs), `crash at write ${k}`).toEqual(expected);
      expect(perStep(crashed.late), `crash at write ${k}`).toEqual(perStep(clean.late));
    }
  }, 120_000);

  it("dropping old data (Spark before no-data batches: one batch per AddData, as here)", async () => {
    const run = await runEventTime(await tempDir(), [[10, 11, 12], [25], [25], [10], [25]], countPerWindow("append"));
    // CheckAnswer is cumulative: (10, 3) once the watermark is 15, never a partial result after.
    expect(run.outputs).toEqual([[], [], [[10, 3]], [], []]);
    expect(run.late).toEqual([[], [], [], [10], []]);
  });

  it("group by on raw timestamp (a window of 1 ms)", async () => {
    const run = await runEventTime(await tempDir(), steps([10], [25]), (s: DStream<number>) => ({
      out: s
        .withWatermark((v) => v * 1000, Seconds(10))
        .map((v): [number, number] => [v, 1])
        .windowedReduceByKey((a, b) => a + b, { size: 1 })
        .map(([k, n]) => [k, n]),
    }));
    expect(perStep(run.outputs)).toEqual([[], [[10, 1]]]);
  });
});

describe("EventTimeWatermarkSuite: several watermarked inputs", () => {
  /** The suite's union of two inputs with delays 10 s and 5 s; one batch per call, values in s. */
  const unionJob = (s: DStream<[1 | 2, number]>) => {
    const first = s.filter(([i]) => i === 1).withWatermark(([, v]) => v * 1000, Seconds(10));
    const second = s.filter(([i]) => i === 2).withWatermark(([, v]) => v * 1000, Seconds(5));
    const all = first.union(second).map(([, v]): [string, number] => ["sum", v]);
    return { out: all.windowedReduceByKey((a, b) => a + b, { size: Seconds(1000) }) };
  };
  const batch = (firstData: number[], secondData: number[] = []): [1 | 2, number][] => [...firstData.map((v): [1, number] => [1, v]), ...secondData.map((v): [2, number] => [2, v])];

  it("watermark with 2 streams: the minimum over inputs; an input without data holds it back", async () => {
    const input = [
      batch([11]),
      batch([], [6]),
      batch([], [8]),
      batch([21]),
      batch([], [17, 28, 39]),
      batch([31]),
      batch([41]),
      batch([51]),
      batch([100], [100]),
      batch([120], [110]),
      batch([130], [125]),
      batch([100], [100]),
      batch([140], [100]),
      batch([100], [135]),
      [],
    ];
    const run = await runEventTime(await tempDir(), input, unionJob);
    // The watermark after each call of the suite is the one the next batch uses.
    const after = run.infos.slice(1).map((i) => (i[0]?.watermark ?? 0) / 1000);
    expect(after).toEqual([0, 1, 1, 3, 11, 21, 31, 34, 90, 105, 120, 120, 120, 130]);
  });

  it("MultipleWatermarkPolicy min: does not advance when only one of the inputs has data", async () => {
    const run = await runEventTime(await tempDir(), [batch([20], [30]), batch([120], [130]), batch([], [150]), []], unionJob);
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 10_000, 110_000, 110_000]);
  });
});
