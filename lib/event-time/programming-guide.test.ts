/**
 * The Structured Streaming programming guide's "Handling Late Data and Watermarking" example:
 * word counts over 10-minute windows sliding every 5 minutes, with a 10-minute watermark, one
 * trigger (batch) every 5 minutes, the events of its update-mode and append-mode illustrations.
 */
import { describe, expect, it } from "vitest";
import { Minutes } from "../time.js";
import type { DStream } from "../dstream/internal.js";
import { runEventTime } from "../test-support/event-time-run.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-guide-");

/** "12:07" → ms of event time. */
const at = (hhmm: string): number => {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return Minutes(h * 60 + m);
};
const hhmm = (ms: number): string => {
  const m = ms / 60_000;
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}`;
};

type Word = { timestamp: number; word: string };
const w = (time: string, word: string): Word => ({ timestamp: at(time), word });

/** What arrives before each trigger, as in the illustrations (12:10, 12:15, 12:20, 12:25, 12:30). */
const input: Word[][] = [
  [w("12:07", "dog"), w("12:08", "owl")],
  [w("12:14", "dog"), w("12:09", "cat")],
  [w("12:15", "cat"), w("12:08", "dog"), w("12:13", "owl"), w("12:21", "owl")],
  [w("12:17", "owl"), w("12:04", "donkey")],
  [],
];

const windowedCounts = (mode: "append" | "update") => (words: DStream<Word>) => {
  const events = words.withWatermark((r) => r.timestamp, Minutes(10));
  const counts = events
    .map((r): [string, number] => [r.word, 1])
    .windowedReduceByKey((a, b) => a + b, { size: Minutes(10), slide: Minutes(5) }, { mode })
    .map(([word, n, win]) => `${hhmm(win.start)}-${hhmm(win.end)} ${word} ${n}`);
  return { out: counts, late: events.lateRecords().map((r) => `${hhmm(r.timestamp)} ${r.word}`) };
};

describe("programming guide: windowed word counts with a 10-minute watermark", () => {
  it("update mode: counts of every window that changed, until the watermark passes it", async () => {
    const run = await runEventTime(await tempDir(), input, windowedCounts("update"), { batchDuration: Minutes(5) });
    expect(run.outputs.map((b) => [...b].sort())).toEqual([
      ["12:00-12:10 dog 1", "12:00-12:10 owl 1", "12:05-12:15 dog 1", "12:05-12:15 owl 1"].sort(),
      // (12:09, cat) is late and out of order, but ahead of the watermark 12:04: it still counts.
      ["12:00-12:10 cat 1", "12:05-12:15 cat 1", "12:05-12:15 dog 2", "12:10-12:20 dog 1"].sort(),
      ["12:00-12:10 dog 2", "12:05-12:15 dog 3", "12:05-12:15 owl 2", "12:10-12:20 cat 1", "12:10-12:20 owl 1", "12:15-12:25 cat 1", "12:15-12:25 owl 1", "12:20-12:30 owl 1"].sort(),
      // The watermark is 12:11: window 12:00-12:10 is gone and (12:04, donkey) is too late.
      ["12:10-12:20 owl 2", "12:15-12:25 owl 2"],
      [],
    ]);
    expect(run.infos.map((i) => (i[0]?.watermark === undefined ? undefined : hhmm(i[0].watermark)))).toEqual([undefined, "11:58", "12:04", "12:11", "12:11"]);
    expect(run.late).toEqual([[], [], [], ["12:04 donkey"], []]);
  });

  it("append mode: only the final count of a window, once the watermark passes its end", async () => {
    const run = await runEventTime(await tempDir(), input, windowedCounts("append"), { batchDuration: Minutes(5) });
    expect(run.outputs.map((b) => [...b].sort())).toEqual([[], [], [], ["12:00-12:10 cat 1", "12:00-12:10 dog 2", "12:00-12:10 owl 1"], []]);
    expect(run.late).toEqual([[], [], [], ["12:04 donkey"], []]);
  });
});

