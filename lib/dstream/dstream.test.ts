import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { runOperation } from "../test-support/operator-table.js";
import type { DStream } from "./internal.js";

/** A started context over `input` (one array per batch) that has run `batches` batches. */
async function started<T>(input: T[][], batches: number, build: (s: DStream<T>) => DStream<unknown> = (s) => s, remember?: number) {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  const input$ = ssc.queueStream(input.map((b) => [...b]));
  const out = build(input$);
  out.foreachRDD(() => undefined);
  if (remember !== undefined) ssc.remember(remember);
  await ssc.start();
  await clock.advance(1000 * batches);
  return { ssc, input: input$, out };
}

describe("slice (Spark BasicOperationsSuite)", () => {
  it("returns the RDDs with times in [from, to], aligned to the grid", async () => {
    const { ssc, input } = await started([[1], [2], [3], [4]], 4, (s) => s, 60_000);
    const slice = (from: number, to: number): number[] => input.slice(from, to).flatMap((r) => r.collect());
    expect(slice(0, 1000)).toEqual([1]);
    expect(slice(0, 2000)).toEqual([1, 2]);
    expect(slice(1000, 2000)).toEqual([1, 2]);
    expect(slice(2000, 4000)).toEqual([2, 3, 4]);
    expect(slice(1500, 3700)).toEqual([1, 2, 3]);
    expect(slice(3000, 1000)).toEqual([]);
    await ssc.stop();
  });

  it("fails before the stream has been initialized", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream([[1]]);
    expect(() => s.slice(0, 1000)).toThrow(expect.objectContaining({ code: ErrorCodes.CONTEXT_STATE }));
  });
});

describe("remembering and forgetting RDDs (Spark: rdd cleanup - map and window)", () => {
  it("widens remember durations through windows and forgets older batches", async () => {
    const input = Array.from({ length: 10 }, (_, x) => [x, x + 1]);
    const { ssc, input: source, out } = await started(input, 10, (s) => s.map((x) => [x % 10, 1]).window(2000, 1000).window(4000, 2000), 3000);
    const w2 = out as DStream<unknown> & { windowDuration: number };
    const w1 = w2.dependencies[0] as DStream<unknown> & { windowDuration: number };
    const mapped = w1.dependencies[0] as DStream<unknown>;
    expect(w2.rememberDuration).toBe(3000);
    expect(w1.rememberDuration).toBe(3000 + w2.windowDuration);
    expect(mapped.rememberDuration).toBe(3000 + w2.windowDuration + w1.windowDuration);
    // The input keeps 9 s before batch 10000: batches 2000 to 10000.
    const kept = source.slice(0, 10_000);
    expect(kept.length).toBe(9);
    expect(kept[0]?.collect()).toEqual([1, 2]);
    await ssc.stop();
  });

  it("a window still sees every batch it needs after cleanup", async () => {
    const input = Array.from({ length: 12 }, (_, x) => [x]);
    const out = await runOperation(input, (s) => s.window(5000, 1000), { numBatches: 14 });
    expect(out.at(-3)).toEqual([7, 8, 9, 10, 11]);
    expect(out.at(-1)).toEqual([9, 10, 11]);
  });
});

describe("name()", () => {
  it("sets the operator id", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    const m = s.map((x) => x);
    expect(m.operatorId).toBe(String(m.id));
    expect(m.name("doubler")).toBe(m);
    expect(m.operatorId).toBe("doubler");
    expect(ssc.graph.fingerprint().operators.map((o) => o.id)).toContain("doubler");
    // Naming the same stream again with its own name is fine.
    expect(() => m.name("doubler")).not.toThrow();
  });

  it("refuses a name another operator has (DSTREAM_GRAPH_INVALID)", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    s.name("input");
    expect(() => s.map((x) => x).name("input")).toThrow(expect.objectContaining({ code: ErrorCodes.GRAPH_INVALID, message: expect.stringMatching(/already used/) }));
  });

  it("refuses empty, non-string, plain-number and $-names (TypeError)", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    expect(() => s.name("")).toThrow(TypeError);
    expect(() => s.name(7 as never)).toThrow(TypeError);
    expect(() => s.name("12")).toThrow(TypeError);
    // A group snapshot keeps the input positions under "$positions" beside the operators' states.
    expect(() => s.name("$positions")).toThrow(/must not start with "\$"/);
  });

  it("cannot be called after start", async () => {
    const { ssc, out } = await started([[1]], 1);
    expect(() => out.name("late")).toThrow(expect.objectContaining({ code: ErrorCodes.CONTEXT_STATE }));
    await ssc.stop();
  });

  it("does not change results", async () => {
    expect(await runOperation([[1, 2]], (s) => s.map((x) => x * 2).name("double"))).toEqual([[2, 4]]);
  });
});

describe("checkpoint(interval)", () => {
  it("accepts a multiple of the slide and rejects anything else", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    expect(s.checkpoint(10_000)).toBe(s);
    expect(() => s.checkpoint(1500)).toThrow(expect.objectContaining({ code: ErrorCodes.GRAPH_INVALID }));
    expect(() => s.checkpoint(0)).toThrow(RangeError);
  });
});
