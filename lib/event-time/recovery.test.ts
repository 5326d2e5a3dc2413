/**
 * Recovery at every batch position: the job is killed after k batches (k = 0…n), restarted on the
 * same checkpoint, and its outputs equal those of a run without a crash (the pattern of
 * lib/checkpoint/recovery.test.ts, for the event-time operators).
 */
import { describe, expect, it } from "vitest";
import type { DStream } from "../dstream/internal.js";
import { Seconds } from "../time.js";
import { runEventTime } from "../test-support/event-time-run.js";
import { StreamTest } from "../test-support/stream-test.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-event-time-recovery-");
const add = (a: number, b: number): number => a + b;

/** `key@seconds` readings, late and out of order. */
const batches = [["a@3", "b@4", "a@9"], ["a@12", "b@7"], [], ["a@2", "b@15", "a@21"], ["b@11"], [], ["a@30", "b@29", "a@14"], ["b@40"], [], ["a@26", "a@44"], []];
const parse = (r: string): [string, number] => {
  const [k, t] = r.split("@") as [string, string];
  return [k, Number(t) * 1000];
};

/** Each event-time operator under test, from the input stream of readings. */
const operators: Record<string, (s: DStream<string>) => DStream<unknown>> = {
  "tumbling, append": (s) =>
    s
      .withWatermark((r) => parse(r)[1], Seconds(5))
      .map((r): [string, number] => [parse(r)[0], 1])
      .windowedReduceByKey(add, { size: Seconds(10) }),
  "sliding, update": (s) =>
    s
      .withWatermark((r) => parse(r)[1], Seconds(4))
      .map((r): [string, number] => [parse(r)[0], parse(r)[1]])
      .windowedReduceByKey(Math.max, { size: Seconds(10), slide: Seconds(5) }, { mode: "update" }),
  "session, append": (s) =>
    s
      .withWatermark((r) => parse(r)[1], Seconds(3))
      .map((r): [string, number] => [parse(r)[0], 1])
      .windowedReduceByKey(add, { gap: Seconds(4) }),
  "session, update": (s) =>
    s
      .withWatermark((r) => parse(r)[1], Seconds(3))
      .map((r): [string, number] => [parse(r)[0], 1])
      .windowedReduceByKey(add, { gap: Seconds(4) }, { mode: "update" }),
  "late records": (s) => {
    const events = s.withWatermark((r) => parse(r)[1], Seconds(2));
    events.map((r): [string, number] => [parse(r)[0], 1]).windowedReduceByKey(add, { size: Seconds(5) }).name("w");
    return events.lateRecords();
  },
  "union of two inputs, one idle": (s) => {
    const a = s.filter((r) => r.startsWith("a")).withWatermark((r) => parse(r)[1], Seconds(1), { idleTimeout: Seconds(2) });
    const b = s.filter((r) => r.startsWith("b")).withWatermark((r) => parse(r)[1], Seconds(6), { idleTimeout: Seconds(2) });
    return a
      .union(b)
      .map((r): [string, number] => [parse(r)[0], 1])
      .windowedReduceByKey(add, { size: Seconds(8) });
  },
  "a window over late records": (s) => {
    const events = s.withWatermark((r) => parse(r)[1], Seconds(2));
    events.map((r): [string, number] => [parse(r)[0], 1]).windowedReduceByKey(add, { gap: Seconds(3) });
    return events.lateRecords().window(3000, 1000);
  },
  "a window over the results": (s) =>
    s
      .withWatermark((r) => parse(r)[1], Seconds(5))
      .map((r): [string, number] => [parse(r)[0], 1])
      .windowedReduceByKey(add, { size: Seconds(10) }, { mode: "update" })
      .window(3000, 1000),
};

async function reference(op: (s: DStream<string>) => DStream<unknown>): Promise<Map<number, unknown[]>> {
  const t = new StreamTest(op, {}, await tempDir());
  for (const b of batches) t.addData(...b);
  await t.start();
  await t.advance(batches.length);
  await t.stop();
  return t.outputsByTime();
}

describe("event time: a restart after every batch position gives the output of a run without one", () => {
  for (const [name, op] of Object.entries(operators)) {
    it(name, async () => {
      const expected = await reference(op);
      expect([...expected.values()].some((out) => out.length > 0)).toBe(true);
      for (let k = 0; k <= batches.length; k++) {
        const t = new StreamTest(op, {}, await tempDir());
        for (const b of batches) t.addData(...b);
        await t.start();
        await t.advance(k);
        await t.crash();
        const ssc = await t.restart();
        expect(ssc.recovered).toBe(true);
        await t.advance(batches.length - k);
        await t.stop();
        const got = t.outputsByTime(); // throws if a batch was output twice
        expect([...got.keys()], `${name}, crash after ${k}`).toEqual([...expected.keys()]);
        for (const [time, out] of expected) expect(got.get(time), `${name}, crash after ${k} batches, batch ${time}`).toEqual(out);
      }
    }, 120_000);
  }
});

describe("event time: a crash at any storage write (inside plans and commits) changes no final output", () => {
  const jobs: Record<string, (s: DStream<string>) => { out: DStream<unknown>; late: DStream<string> }> = {
    "session, update, with late records": (s) => {
      const events = s.withWatermark((r) => parse(r)[1], Seconds(3));
      return { out: events.map((r): [string, number] => [parse(r)[0], 1]).windowedReduceByKey(add, { gap: Seconds(4) }, { mode: "update" }), late: events.lateRecords() };
    },
    "sliding, append, union with idleness": (s) => {
      const a = s.filter((r) => r.startsWith("a")).withWatermark((r) => parse(r)[1], Seconds(1), { idleTimeout: Seconds(2) });
      const b = s.filter((r) => r.startsWith("b")).withWatermark((r) => parse(r)[1], Seconds(6), { idleTimeout: Seconds(2) });
      const both = a.union(b);
      return { out: both.map((r): [string, number] => [parse(r)[0], 1]).windowedReduceByKey(add, { size: Seconds(8), slide: Seconds(4) }), late: both.lateRecords() };
    },
  };
  for (const [name, job] of Object.entries(jobs)) {
    it(name, async () => {
      const clean = await runEventTime(await tempDir(), batches, job);
      expect(clean.late.flat().length).toBeGreaterThan(0);
      for (let k = 0; k < clean.writes; k++) {
        const crashed = await runEventTime(await tempDir(), batches, job, { crashAtWrite: k });
        expect(crashed.outputs, `${name}, crash at write ${k}`).toEqual(clean.outputs);
        expect(crashed.late, `${name}, crash at write ${k}`).toEqual(clean.late);
        expect(crashed.infos.map((i) => i.map((x) => x.watermark)), `${name}, crash at write ${k}`).toEqual(clean.infos.map((i) => i.map((x) => x.watermark)));
      }
    }, 120_000);
  }
});
