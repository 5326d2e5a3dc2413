/**
 * Session windows: EventTimeWatermarkSuite's session tests and StreamingSessionWindowSuite,
 * translated batch by batch (each AddData = a batch with the data and an empty batch, where Spark
 * runs its no-data batch). Event times are the suites' integers, in seconds.
 */
import { describe, expect, it } from "vitest";
import { Seconds } from "../time.js";
import type { DStream } from "../dstream/internal.js";
import { runEventTime } from "../test-support/event-time-run.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-sessions-");

type CountSum = [number, number];
const addCountSum = (a: CountSum, b: CountSum): CountSum => [a[0] + b[0], a[1] + b[1]];
const steps = <T>(...adds: T[][]): T[][] => adds.flatMap((a) => [a, []]);
const cmp = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
function perStep<T>(batches: T[][]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < batches.length; i += 2) out.push([...(batches[i] ?? []), ...(batches[i + 1] ?? [])].sort(cmp));
  return out;
}

/** `groupBy(session_window(eventTime, "5 seconds"), valuegroup).agg(count, sum)` with a 10 s watermark. */
const sessionsBy = (group: (v: number) => number, mode: "append" | "update") => (s: DStream<number>) => ({
  out: s
    .withWatermark((v) => v * 1000, Seconds(10))
    .map((v): [number, CountSum] => [group(v), [1, v]])
    .windowedReduceByKey(addCountSum, { gap: Seconds(5) }, { mode })
    .map(([k, [count, sum], w]) => [k, w.start / 1000, w.end / 1000, count, sum]),
});

describe("EventTimeWatermarkSuite: session windows", () => {
  const input = steps([10, 11], [17], [25], [35], [10], [40]);

  it("append mode - session", async () => {
    const run = await runEventTime(await tempDir(), input, sessionsBy((v) => Math.floor(v / 10), "append"));
    expect(perStep(run.outputs)).toEqual([[], [], [], [[1, 10, 16, 2, 21], [1, 17, 22, 1, 17]], [], [[2, 25, 30, 1, 25]]]);
  });

  it("update mode - session", async () => {
    const run = await runEventTime(await tempDir(), input, sessionsBy((v) => Math.floor(v / 10), "update"));
    expect(perStep(run.outputs)).toEqual([[[1, 10, 16, 2, 21]], [[1, 17, 22, 1, 17]], [[2, 25, 30, 1, 25]], [[3, 35, 40, 1, 35]], [], [[4, 40, 45, 1, 40]]]);
  });

  it("update mode - session - keys overlapped with sessions", async () => {
    const run = await runEventTime(await tempDir(), steps([10, 11, 12, 13], [17], [25], [35], [27], [10], [40]), sessionsBy((v) => v % 2, "update"));
    expect(perStep(run.outputs)).toEqual([
      [[0, 10, 17, 2, 22], [1, 11, 18, 2, 24]],
      [[1, 11, 22, 3, 41]],
      [[1, 25, 30, 1, 25]],
      [[1, 35, 40, 1, 35]],
      [[1, 25, 32, 2, 52]],
      [],
      [[0, 40, 45, 1, 40]],
    ]);
  });
});

describe("StreamingSessionWindowSuite", () => {
  /** Lines split into words, each word a session id; 10 s gap, 30 s watermark (the suite's sessionWindowQuery). */
  const wordSessions = (s: DStream<[string, number]>) => {
    const events = s.withWatermark(([, t]) => t * 1000, Seconds(30));
    const words = events.flatMap(([line]) => line.split(" ").map((w): [string, number] => [w, 1]));
    return {
      out: words.windowedReduceByKey((a, b) => a + b, { gap: Seconds(10) }).map(([w, n, s]) => [w, s.start / 1000, s.end / 1000, (s.end - s.start) / 1000, n]),
      late: events.lateRecords(),
      lateWords: words.lateRecords(),
    };
  };

  it("append mode - session window: sessions placed before, merged across, and after earlier ones", async () => {
    let lateWords: [string, number][][] = [];
    const input = steps<[string, number]>(
      [["hello world spark streaming", 40], ["world hello structured streaming", 41]],
      [["spark streaming", 25]],
      [["spark streaming", 0]],
      [["spark streaming", 30]],
      [["hello apache spark", 60]],
      [["structured streaming", 90]],
    );
    const run = await runEventTime(await tempDir(), input, (s) => {
      const job = wordSessions(s);
      job.lateWords.foreachRDD((rdd, t) => void (lateWords[t / 1000 - 1] = rdd.collect()));
      return job;
    });
    lateWords = Array.from({ length: input.length }, (_, i) => lateWords[i] ?? []);
    expect(perStep(run.outputs)).toEqual([
      [],
      [],
      [],
      [],
      [],
      [
        ["hello", 40, 51, 11, 2],
        ["spark", 25, 50, 25, 3],
        ["streaming", 25, 51, 26, 4],
        ["structured", 41, 51, 10, 1],
        ["world", 40, 51, 11, 2],
      ],
    ]);
    // "late event which session's end 10 would be later than watermark 11: should be dropped"
    expect(run.infos[4]?.[0]).toMatchObject({ watermark: 11_000, numRowsDroppedByWatermark: 2, numLateRecords: 2 });
    // The line is reported once where it entered; the two words where they were windowed.
    expect(perStep(run.late)).toEqual([[], [], [["spark streaming", 0]], [], [], []]);
    expect(perStep(lateWords)).toEqual([[], [], [["spark", 1], ["streaming", 1]], [], [], []]);
  });

  it("session window with min/max of the event time (the first/last function test)", async () => {
    const run = await runEventTime(await tempDir(), [[["a", 41]], [["a", 42]], [["a", 40]], [["b", 100]], [["b", 101]]], (s: DStream<[string, number]>) => ({
      out: s
        .withWatermark(([, t]) => t * 1000, Seconds(30))
        .map(([k, t]): [string, [number, number]] => [k, [t, t]])
        .windowedReduceByKey((a, b): [number, number] => [Math.min(a[0], b[0]), Math.max(a[1], b[1])], { gap: Seconds(10) })
        .map(([k, [min, max], w]) => [k, w.start / 1000, w.end / 1000, min, max]),
    }));
    expect(run.outputs.flat()).toEqual([["a", 40, 52, 40, 42]]);
    expect(run.outputs[4]).toEqual([["a", 40, 52, 40, 42]]);
  });
});

describe("sessions never change once emitted", () => {
  it("a record that would merge into a finalised session is late, where Spark would open an overlapping one", async () => {
    // Session (10, 16) is finalised at watermark 16; 14 + 5 = 19 > 16 is not late by its own
    // session, but it would reach back into the emitted one.
    const run = await runEventTime(await tempDir(), [[10, 11], [26], [], [14], [30]], (s: DStream<number>) => {
      const events = s.withWatermark((v) => v * 1000, Seconds(10));
      return {
        out: events
          .map((v): [string, CountSum] => ["k", [1, v]])
          .windowedReduceByKey(addCountSum, { gap: Seconds(5) })
          .map(([, [n, sum], w]) => [w.start / 1000, w.end / 1000, n, sum]),
        late: events.lateRecords(),
      };
    });
    expect(run.infos.map((i) => i[0]?.watermark)).toEqual([undefined, 1000, 16_000, 16_000, 16_000]);
    expect(run.outputs).toEqual([[], [], [[10, 16, 2, 21]], [], []]);
    expect(run.late).toEqual([[], [], [], [14], []]);
  });
});
