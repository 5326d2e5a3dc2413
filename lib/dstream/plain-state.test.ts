import { describe, expect, it } from "vitest";
import { StreamTest } from "../test-support/stream-test.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { StateSpec } from "./internal.js";

const tempDir = tempDirs("dstream-plain-state-");

describe("state and queued records are plain data", () => {
  it("a Set state survives a restart from its commit (it came back as an array and the next batch failed)", async () => {
    const t = new StreamTest<string, [string, number[]]>(
      (s) =>
        s
          .map((w): [string, number] => [w[0]!, w.length])
          .updateStateByKey<string, number, Set<number>>((lengths, seen) => {
            const out = seen ?? new Set<number>();
            for (const n of lengths) out.add(n); // an array here (format 1) fails: add is not a function
            return out;
          })
          .map(([k, set]): [string, number[]] => [k, [...set].sort()]),
      { snapshotInterval: 100 },
      await tempDir(),
    );
    await t.start();
    t.addData("ab", "abc");
    await t.advance();
    await t.crash();
    await t.restart();
    t.addData("abcd", "x");
    await t.advance();
    await t.stop();
    expect(t.outputsByTime().get(2000)?.sort()).toEqual([["a", [2, 3, 4]], ["x", [1]]]);
  });

  it("-0, typed arrays and lone surrogates in state and in queued records come back unchanged after a crash", async () => {
    const t = new StreamTest<[string, unknown], [string, unknown]>(
      (s) => s.updateStateByKey<string, unknown, unknown>((vs, st) => (vs.length > 0 ? vs[vs.length - 1] : st)),
      { snapshotInterval: 100 },
      await tempDir(),
    );
    await t.start();
    t.addData(["z", -0], ["u", new Int16Array([-1, 2])], ["s", "\udc00!"], ["d", new Date(5)]);
    t.addData(["z2", -0]);
    await t.advance();
    await t.crash(); // batch 2000 is planned (its queued records logged) only after the restart
    await t.restart();
    await t.advance();
    await t.stop();
    const out = new Map(t.outputsByTime().get(2000));
    expect(Object.is(out.get("z"), -0)).toBe(true);
    expect(Object.is(out.get("z2"), -0)).toBe(true);
    expect(out.get("u")).toStrictEqual(new Int16Array([-1, 2]));
    expect(out.get("s")).toBe("\udc00!");
    expect(out.get("d")).toStrictEqual(new Date(5));
  });

  it("a state value that is not plain data fails the batch (not committed, re-run after a restart) with a TypeError naming the key", async () => {
    class Counter {
      n = 0;
      inc(): this {
        this.n++;
        return this;
      }
    }
    for (const op of ["updateStateByKey", "mapWithState", "reduceByKeyAndWindow"] as const) {
      const clock = new ManualClock();
      const ssc = await StreamingContext.getOrCreate(await tempDir(), () => {
        const s = new StreamingContext({ batchDuration: 1000, clock });
        const pairs = s.queueStream([["a", "b"]]).map((w): [string, number] => [w, 1]);
        if (op === "updateStateByKey") {
          pairs.updateStateByKey<string, number, unknown>((_vs, st, k) => (k === "b" ? new Counter() : (st as number | undefined) ?? 1)).foreachRDD(() => undefined);
        } else if (op === "reduceByKeyAndWindow") {
          pairs
            .map(([k, v]): [string, unknown] => [k, k === "b" ? new Counter() : v])
            .reduceByKeyAndWindow((a, b) => a, (a) => a, 2000)
            .foreachRDD(() => undefined);
        } else {
          pairs
            .mapWithState(StateSpec.function<string, number, unknown, number>((k, v, state) => {
              state.update(k === "b" ? { at: () => 1 } : v);
              return v;
            }))
            .foreachRDD(() => undefined);
        }
        return s;
      });
      await ssc.start();
      await expect(clock.advance(1000)).rejects.toMatchObject({ code: "DSTREAM_JOB_FAILED", batchTime: 1000, cause: expect.any(TypeError) });
      const err = await ssc.awaitTermination().catch((e: unknown) => e);
      const messages = chain(err);
      expect(messages, op).toMatch(new RegExp(`${op}( \\(a batch's reduced value\\))?: the state for key "b" is not plain data: found (an instance of class Counter \\(with methods inc\\)|a function \\(at\\) at \\.at)`));
      if (op === "reduceByKeyAndWindow") expect(messages).toMatch(/a batch's reduced value/);
      await ssc.stop();
    }
  });

  it("a queued record that is not plain data fails the batch with a TypeError naming it", async () => {
    const clock = new ManualClock();
    const queue: unknown[][] = [["ok", { f: Symbol("no") }]];
    const ssc = await StreamingContext.getOrCreate(await tempDir(), () => {
      const s = new StreamingContext({ batchDuration: 1000, clock });
      s.queueStream(queue).foreachRDD(() => undefined);
      return s;
    });
    await ssc.start();
    await expect(clock.advance(1000)).rejects.toThrow(/queueStream: batch 1000 ms, array 0 of the queue: record 1 is not plain data: found a symbol \(Symbol\(no\)\) at \.f/);
    await ssc.stop();
    expect(queue).toHaveLength(1);
    expect(() => new StreamingContext({ batchDuration: 1000 }).queueStream([], { defaultBatch: [new Map([[1, () => 0]])] })).toThrow(/defaultBatch.*record 0 is not plain data: found a function at <value 0>/);
  });
});

function chain(err: unknown): string {
  const out: string[] = [];
  for (let e = err, i = 0; e instanceof Error && i < 5; i++, e = e.cause) out.push(e.message);
  return out.join(" <- ");
}
