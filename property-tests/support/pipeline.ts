/**
 * A small grammar of pipelines over number streams, an arbitrary that draws them, and a builder that
 * turns one into DStreams. Keyed operators key a record by `x mod keys` and map their results back
 * to numbers, so every node is a `DStream<number>` and nodes compose freely.
 */
import fc from "fast-check";
import { StateSpec, type DStream } from "../../lib/dstream/internal.js";

/** One node of a pipeline; durations are in batches, multiples of the child's slide. */
export type Pipeline =
  | { op: "input"; stream: 0 | 1 }
  | { op: "map"; mul: number; child: Pipeline }
  | { op: "filter"; mod: number; child: Pipeline }
  | { op: "flatMap"; add: number; child: Pipeline }
  | { op: "reduceByKey"; keys: number; child: Pipeline }
  | { op: "window"; w: number; s: number; child: Pipeline }
  | { op: "reduceByKeyAndWindow"; keys: number; w: number; s: number; inverse: boolean; filter: boolean; child: Pipeline }
  | { op: "updateStateByKey"; keys: number; limit: number; child: Pipeline }
  | { op: "mapWithState"; keys: number; limit: number; timeout: number | undefined; child: Pipeline }
  | { op: "join"; keys: number; left: Pipeline; right: Pipeline }
  | { op: "eventTime"; keys: number; delay: number; window: { size: number; slide: number } | { gap: number }; update: boolean; late: boolean; child: Pipeline };

/** The slide of a node in batches. */
export function slideOf(p: Pipeline): number {
  switch (p.op) {
    case "input":
      return 1;
    case "window":
    case "reduceByKeyAndWindow":
      return p.s;
    case "join":
      return slideOf(p.left);
    default:
      return slideOf(p.child);
  }
}

/** The input streams a pipeline reads. */
export function inputsOf(p: Pipeline): Set<0 | 1> {
  if (p.op === "input") return new Set([p.stream]);
  if (p.op === "join") return new Set([...inputsOf(p.left), ...inputsOf(p.right)]);
  return inputsOf(p.child);
}

/** A printable form, for failure reports. */
export function show(p: Pipeline): string {
  switch (p.op) {
    case "input":
      return `in${p.stream}`;
    case "join":
      return `join(${show(p.left)}, ${show(p.right)}, keys=${p.keys})`;
    default: {
      const { op, child, ...args } = p;
      return `${show(child)}.${op}(${JSON.stringify(args)})`;
    }
  }
}

/** True when `p` holds an operator with checkpointed state (the graph's state operators). */
export function hasState(p: Pipeline): boolean {
  switch (p.op) {
    case "input":
      return false;
    case "updateStateByKey":
    case "mapWithState":
    case "eventTime":
      return true;
    case "reduceByKeyAndWindow":
      return p.inverse || hasState(p.child);
    case "join":
      return hasState(p.left) || hasState(p.right);
    default:
      return hasState(p.child);
  }
}

const keysArb = fc.integer({ min: 1, max: 4 });

/** Stateless chains over one input (slide 1): the operands of a join. */
function stateless(stream: 0 | 1, depth: number): fc.Arbitrary<Pipeline> {
  const base = fc.constant<Pipeline>({ op: "input", stream });
  if (depth === 0) return base;
  return fc.oneof(
    { weight: 2, arbitrary: base },
    { weight: 1, arbitrary: stateless(stream, depth - 1).chain((child) => statelessOver(child)) },
  );
}

function statelessOver(child: Pipeline): fc.Arbitrary<Pipeline> {
  return fc.oneof(
    fc.integer({ min: 1, max: 7 }).map((mul): Pipeline => ({ op: "map", mul, child })),
    fc.integer({ min: 2, max: 4 }).map((mod): Pipeline => ({ op: "filter", mod, child })),
    fc.integer({ min: 1, max: 5 }).map((add): Pipeline => ({ op: "flatMap", add, child })),
  );
}

/** One operator on top of `child`. */
function over(child: Pipeline): fc.Arbitrary<Pipeline> {
  const s = slideOf(child);
  const durations = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 2 })).map(([b, extra]) => ({ s: s * b, w: s * (b + extra) }));
  const windows: fc.Arbitrary<Pipeline>[] =
    [
      durations.map(({ w, s: sl }): Pipeline => ({ op: "window", w, s: sl, child })),
      fc.tuple(keysArb, durations, fc.boolean(), fc.boolean()).map(([keys, { w, s: sl }, inverse, filter]): Pipeline => ({ op: "reduceByKeyAndWindow", keys, w, s: sl, inverse, filter, child })),
    ];
  // Event times are `x mod 97 × 250 ms`: out of order and often behind the watermark.
  const eventWindow = fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })).map(([a, b]) => ({ size: Math.max(a, b) * 500, slide: Math.min(a, b) * 500 })),
    fc.integer({ min: 1, max: 8 }).map((g) => ({ gap: g * 500 })),
  );
  const eventTime = fc
    .tuple(keysArb, fc.constantFrom(0, 1000, 5000), eventWindow, fc.boolean(), fc.boolean())
    .map(([keys, delay, window, update, late]): Pipeline => ({ op: "eventTime", keys, delay, window, update, late, child }));
  return fc.oneof(
    statelessOver(child),
    eventTime,
    keysArb.map((keys): Pipeline => ({ op: "reduceByKey", keys, child })),
    ...windows,
    fc.tuple(keysArb, fc.integer({ min: 5, max: 200 })).map(([keys, limit]): Pipeline => ({ op: "updateStateByKey", keys, limit, child })),
    fc.tuple(keysArb, fc.integer({ min: 5, max: 200 }), fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined })).map(
      ([keys, limit, t]): Pipeline => ({ op: "mapWithState", keys, limit, timeout: t === undefined ? undefined : t * s, child }),
    ),
  );
}

/** Pipelines of 1 to `maxOps` operators over input 0, or a join of inputs 0 and 1 at the bottom. */
export function pipelineArb(maxOps = 3): fc.Arbitrary<Pipeline> {
  const bottom = fc.oneof(
    { weight: 3, arbitrary: stateless(0, 1) },
    {
      weight: 1,
      arbitrary: fc.tuple(stateless(0, 1), stateless(1, 1), keysArb).map(([left, right, keys]): Pipeline => ({ op: "join", keys, left, right })),
    },
  );
  const grow = (p: Pipeline, n: number): fc.Arbitrary<Pipeline> => (n === 0 ? fc.constant(p) : over(p).chain((q) => grow(q, n - 1)));
  return fc.tuple(bottom, fc.integer({ min: 1, max: maxOps })).chain(([b, n]) => grow(b, n));
}

const mod = (x: number, m: number): number => ((x % m) + m) % m;
const pairs = (s: DStream<number>, keys: number): DStream<[number, number]> => s.map((x): [number, number] => [mod(x, keys), x]);
const add = (a: number, b: number): number => a + b;
const sub = (a: number, b: number): number => a - b;
const BATCH = 1000;

/** Builds `p` over `inputs` (one stream per input id); deterministic, so a rebuilt graph matches. */
export function build(p: Pipeline, inputs: readonly DStream<number>[]): DStream<number> {
  switch (p.op) {
    case "input":
      return inputs[p.stream]!;
    case "map": {
      const mul = p.mul;
      return build(p.child, inputs).map((x) => mod(x * mul + 1, 97));
    }
    case "filter": {
      const m = p.mod;
      return build(p.child, inputs).filter((x) => mod(x, m) !== 0);
    }
    case "flatMap": {
      const a = p.add;
      return build(p.child, inputs).flatMap((x) => (mod(x, 3) === 0 ? [] : [x, mod(x + a, 97)]));
    }
    case "reduceByKey":
      return pairs(build(p.child, inputs), p.keys).reduceByKey(add).map(([k, v]) => k * 10_000 + v);
    case "window":
      return build(p.child, inputs).window(p.w * BATCH, p.s * BATCH);
    case "reduceByKeyAndWindow": {
      const ps = pairs(build(p.child, inputs), p.keys);
      const out = p.inverse
        ? ps.reduceByKeyAndWindow(add, sub, p.w * BATCH, p.s * BATCH, p.filter ? { filterFunc: ([, v]) => v !== 0 } : {})
        : ps.reduceByKeyAndWindow(add, p.w * BATCH, p.s * BATCH);
      return out.map(([k, v]) => k * 10_000 + v);
    }
    case "updateStateByKey": {
      const limit = p.limit;
      return pairs(build(p.child, inputs), p.keys)
        .updateStateByKey<number, number, number>((vs, st) => {
          const n = vs.reduce(add, st ?? 0);
          return n > limit ? undefined : n;
        })
        .map(([k, v]) => k * 10_000 + v);
    }
    case "mapWithState": {
      const limit = p.limit;
      let spec = StateSpec.function<number, number, number, number>((k, v, st) => {
        if (st.isTimingOut()) return -(k * 10_000 + st.get());
        const n = (st.getOption() ?? 0) + (v ?? 0);
        if (n > limit) st.remove();
        // Odd values only read the state: with a timeout the key's time is refreshed anyway.
        else if (mod(v ?? 0, 2) === 0 || !st.exists()) st.update(n);
        return k * 10_000 + n;
      });
      if (p.timeout !== undefined) spec = spec.timeout(p.timeout * BATCH);
      return pairs(build(p.child, inputs), p.keys).mapWithState(spec);
    }
    case "join":
      return pairs(build(p.left, inputs), p.keys)
        .join(pairs(build(p.right, inputs), p.keys))
        .map(([k, [a, b]]) => k * 10_000 + a * 100 + b);
    case "eventTime": {
      const events = build(p.child, inputs).withWatermark((x) => mod(x, 97) * 250, p.delay);
      const keys = p.keys;
      const out = events
        .map((x): [number, number] => [mod(x, keys), x])
        .windowedReduceByKey(add, p.window, { mode: p.update ? "update" : "append" })
        .map(([k, v, w]) => k * 10_000 + v + (w.start / 250) * 1_000_000);
      return p.late ? out.union(events.lateRecords().map((x) => -1 - x)) : out;
    }
  }
}
