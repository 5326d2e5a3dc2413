/**
 * Sensor readings by event time: each reading carries the time it was measured, and readings
 * arrive late and out of order (a flaky network). Per sensor, 10-second windows of event time with
 * a 5-second watermark: a window's statistics are printed once, when the watermark passes its end
 * (append mode), and never change after; readings that arrive after their window was finalised
 * are printed apart, instead of being dropped in silence.
 *
 *   node --import tsx --conditions=dstream-source examples/event-time-sensors.ts [--seconds 40]
 */
import { Seconds, StreamingContext, type DStream, type Duration } from "dstream";
import { feedQueue, numberArg, runFor, stringArg } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** One measurement; `time` is its event time (ms since the epoch), not when it arrived. */
export interface Reading {
  sensor: string;
  time: number;
  celsius: number;
}

/** A finalised window of one sensor. */
export interface SensorWindow {
  sensor: string;
  start: number;
  end: number;
  readings: number;
  min: number;
  max: number;
  mean: number;
}

interface Stats {
  n: number;
  sum: number;
  min: number;
  max: number;
}

const merge = (a: Stats, b: Stats): Stats => ({ n: a.n + b.n, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) });

/** Per-sensor windows of `window` by event time, with a watermark `delay` behind; and the late readings. */
export function buildSensorWindows(readings: DStream<Reading>, window: Duration = Seconds(10), delay: Duration = Seconds(5)) {
  const events = readings.withWatermark((r) => r.time, delay);
  const windows = events
    .map((r): [string, Stats] => [r.sensor, { n: 1, sum: r.celsius, min: r.celsius, max: r.celsius }])
    .windowedReduceByKey(merge, { size: window })
    .name("sensor-windows")
    .map(([sensor, s, w]): SensorWindow => ({ sensor, start: w.start, end: w.end, readings: s.n, min: s.min, max: s.max, mean: Math.round((s.sum / s.n) * 10) / 10 }));
  return { windows, late: events.lateRecords() };
}

/** `12:00:07` for a time in ms. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** A small seeded generator, so a run can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * The readings that arrive in one second, ending `now`: three sensors measure every 500 ms; most
 * readings take under a second to arrive, some a few seconds (out of order), a few over ten
 * (behind the watermark by then). `pending` holds readings still in flight.
 */
export function arrivals(now: number, pending: { at: number; reading: Reading }[], rand: () => number): Reading[] {
  for (let t = now - 1000 + 500; t <= now; t += 500) {
    for (const sensor of ["s1", "s2", "s3"]) {
      const r = rand();
      const transit = r < 0.8 ? rand() * 1000 : r < 0.95 ? 1000 + rand() * 3000 : 10_000 + rand() * 5000;
      pending.push({ at: t + transit, reading: { sensor, time: t, celsius: Math.round((20 + 5 * Math.sin(t / 20_000) + rand()) * 10) / 10 } });
    }
  }
  const due = pending.filter((p) => p.at <= now).sort((a, b) => a.at - b.at);
  pending.splice(0, pending.length, ...pending.filter((p) => p.at > now));
  return due.map((p) => p.reading);
}

async function main(): Promise<void> {
  const dir = stringArg("checkpoint", "./checkpoints/event-time-sensors");
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), stopGracefullyOnShutdown: true });
    const queue: Reading[][] = [];
    const pending: { at: number; reading: Reading }[] = [];
    const rand = random(numberArg("seed", 7));
    feedQueue(ssc, queue, () => arrivals(Date.now(), pending, rand));
    const { windows, late } = buildSensorWindows(ssc.queueStream(queue));
    windows.foreachRDD((rdd) => {
      for (const w of rdd.collect()) {
        console.log(`${w.sensor} ${clockTime(w.start)}–${clockTime(w.end)}  ${String(w.readings).padStart(2)} readings  min ${w.min}  max ${w.max}  mean ${w.mean} °C`);
      }
    });
    late.foreachRDD((rdd, time) => {
      for (const r of rdd.collect()) console.log(`  late: ${r.sensor} measured ${clockTime(r.time)}, arrived ${((time - r.time) / 1000).toFixed(1)} s later: its window was already final`);
    });
    return ssc;
  });
  await runFor(ssc, numberArg("seconds", 40));
}

if (isMain(import.meta.url)) runMain(main);
