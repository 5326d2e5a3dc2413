import { join } from "node:path";
import { ManualClock, StreamingContext } from "dstream";
import { afterEach, describe, expect, it } from "vitest";
import { arrivals, buildSensorWindows, clockTime, type Reading, type SensorWindow } from "./event-time-sensors.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-example-sensors-");
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

const NOON = Date.UTC(2026, 0, 1, 12, 0, 0);
const r = (sensor: string, second: number, celsius: number): Reading => ({ sensor, time: NOON + second * 1000, celsius });

/** The README's timeline: what arrives before each batch (event times in seconds after 12:00:00). */
const timeline: Reading[][] = [
  [r("s1", 2, 20), r("s1", 7, 21), r("s2", 4, 30)],
  [r("s1", 12, 22), r("s2", 9, 31), r("s1", 5, 23)],
  [r("s2", 16, 32), r("s1", 18, 24), r("s1", 3, 19)],
  [r("s1", 24, 25), r("s2", 8, 35)],
  [r("s2", 27, 33)],
  [],
];

async function run(input: Reading[][]): Promise<{ windows: SensorWindow[][]; late: Reading[][] }> {
  const clock = new ManualClock();
  const windows: SensorWindow[][] = input.map(() => []);
  const late: Reading[][] = input.map(() => []);
  ssc = await StreamingContext.getOrCreate(join(await tempDir(), "cp"), () => {
    const s = new StreamingContext({ batchDuration: 1000, clock });
    const built = buildSensorWindows(s.queueStream(input.map((b) => [...b])));
    built.windows.foreachRDD((rdd, t) => void (windows[t / 1000 - 1] = rdd.collect()));
    built.late.foreachRDD((rdd, t) => void (late[t / 1000 - 1] = rdd.collect()));
    return s;
  });
  await ssc.start();
  await clock.advance(input.length * 1000);
  return { windows, late };
}

describe("event-time sensors example", () => {
  it("prints each sensor's 10 s window once, when the 5 s watermark passes it, and late readings apart", async () => {
    const { windows, late } = await run(timeline);
    const show = (w: SensorWindow): string => `${w.sensor} ${clockTime(w.start)}-${clockTime(w.end)} n=${w.readings} min=${w.min} max=${w.max} mean=${w.mean}`;
    expect(windows.map((b) => b.map(show))).toEqual([
      [],
      [],
      [],
      // watermark 18 − 5 = 13 s passes 12:00:10: (s1, 3 s) arrived out of order but in time and counts.
      ["s1 12:00:00-12:00:10 n=4 min=19 max=23 mean=20.8", "s2 12:00:00-12:00:10 n=2 min=30 max=31 mean=30.5"],
      [],
      // watermark 27 − 5 = 22 s passes 12:00:20.
      ["s1 12:00:10-12:00:20 n=2 min=22 max=24 mean=23", "s2 12:00:10-12:00:20 n=1 min=32 max=32 mean=32"],
    ]);
    // (s2, 8 s) arrived when its window had been printed: late, printed apart, never counted.
    expect(late).toEqual([[], [], [], [r("s2", 8, 35)], [], []]);
  });

  it("its simulated network delivers readings out of order and some after their window is final", async () => {
    let seed = 7;
    const rand = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const pending: { at: number; reading: Reading }[] = [];
    const input = Array.from({ length: 40 }, (_, i) => arrivals(NOON + (i + 1) * 1000, pending, rand));
    const arrived = input.flat();
    expect(arrived.some((x, i) => i > 0 && x.time < (arrived[i - 1] as Reading).time)).toBe(true);
    const { windows, late } = await run(input);
    expect(late.flat().length).toBeGreaterThan(0);
    const printed = windows.flat();
    expect(printed.length).toBeGreaterThan(0);
    // Every window printed once.
    expect(new Set(printed.map((w) => `${w.sensor}@${w.start}`)).size).toBe(printed.length);
  });
});
