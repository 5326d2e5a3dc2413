import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { StateSpec } from "./internal.js";

const cleanup = cleanupsAfterEach();
const tempDir = tempDirs("dstream-initial-state-");

type Kind = "updateStateByKey" | "mapWithState";

/** A job whose state operator (with an initial state) slides every 2 s over 1 s batches; records each state. */
function job(kind: Kind, clock: ManualClock, states: [string, number][][]) {
  return (): StreamingContext => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const pairs = ssc.queueStream<[string, number]>([[["a", 1]], [["a", 1]], [["a", 1]]], { oneAtATime: true }).window(2000, 2000);
    const out =
      kind === "updateStateByKey"
        ? pairs.updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((x, y) => x + y, s ?? 0), { initial: [["a", 100], ["b", 200]] })
        : pairs
            .mapWithState(
              StateSpec.function<string, number, number, never>((_k, v, st) => {
                st.update((st.getOption() ?? 0) + (v ?? 0));
                return undefined;
              }).initialState([["a", 100], ["b", 200]]),
            )
            .stateSnapshots();
    out.foreachRDD((rdd) => void states.push([...rdd.collect()].sort()));
    return ssc;
  };
}

describe("an initial state and a restart before the state operator's first batch", () => {
  for (const kind of ["updateStateByKey", "mapWithState"] as const) {
    it(`${kind}: batch 1000 committed before the operator's first batch (2000) holds the initial state, so a restart keeps it`, async () => {
      const dir = await tempDir();
      const states: [string, number][][] = [];
      const c1 = new ManualClock(0);
      const first = await StreamingContext.getOrCreate(dir, job(kind, c1, states));
      cleanup(() => first.stop().catch(() => undefined));
      await first.start();
      await c1.advance(1000);
      await first.stop();
      const c2 = new ManualClock(1000);
      const second = await StreamingContext.getOrCreate(dir, job(kind, c2, states));
      cleanup(() => second.stop().catch(() => undefined));
      expect(second.recovered).toBe(true);
      await second.start();
      await c2.advance(1000);
      // Before: the restart restored the empty state batch 1000 committed, and [["a", 2]] came out.
      expect(states).toEqual([
        [
          ["a", 102],
          ["b", 200],
        ],
      ]);
    });
  }
});
