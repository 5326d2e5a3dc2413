/**
 * `.name()` binds the state of the operator it names, whatever internal streams hold that state:
 * stateful operators created in another order after a restart each get their own state back, and
 * stateless operators added before named stateful ones do not make the checkpoint mismatch.
 */
import { describe, expect, it } from "vitest";
import { StateSpec, type DStream } from "../dstream/internal.js";
import { StreamingContext } from "../streaming-context.js";
import { runOnce } from "../test-support/run-once.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const temp = tempDirs("dstream-names-");
const BATCH = 1000;

type Outputs = Map<string, unknown[]>;
type Build = (words: DStream<string>, out: (name: string) => (rdd: { collect(): unknown[] }, t: number) => void) => void;

/** One process: builds the graph on the checkpoint in `dir`, runs one batch per input array, stops. */
async function run(dir: string, startAt: number, input: string[][], build: Build): Promise<Outputs> {
  const outputs: Outputs = new Map();
  await runOnce(dir, startAt, input.length, BATCH, (clock) => {
    const s = new StreamingContext({ batchDuration: BATCH, clock });
    build(s.queueStream(input.map((b) => [...b])), (name) => (rdd, t) => void outputs.set(`${name}@${t}`, rdd.collect()));
    return s;
  });
  return outputs;
}

const pairs = (s: DStream<string>): DStream<[string, number]> => s.map((w): [string, number] => [w, 1]);
/** A running count per word. */
const countSpec = (): StateSpec<string, number, number, [string, number]> =>
  StateSpec.function<string, number, number, [string, number]>((k, _v, st) => {
    st.update((st.getOption() ?? 0) + 1);
    return [k, st.get()];
  });
/** The batch time each word was last seen at, and the one before. */
const lastSpec = (): StateSpec<string, number, number, [string, string]> =>
  StateSpec.function<string, number, number, [string, string]>((k, _v, st, t) => {
    const before = st.getOption();
    st.update(t);
    return [k, `${before ?? "-"}->${t}`];
  });

describe("name() binds the state of every stateful operator", () => {
  it("two mapWithState streams named count and last, created in the other order after a restart, keep their own state", async () => {
    const dir = await temp();
    const countFirst: Build = (words, out) => {
      const p = pairs(words);
      p.mapWithState(countSpec()).name("count").foreachRDD(out("count"));
      p.mapWithState(lastSpec()).name("last").foreachRDD(out("last"));
    };
    const lastFirst: Build = (words, out) => {
      const p = pairs(words);
      p.mapWithState(lastSpec()).name("last").foreachRDD(out("last"));
      p.mapWithState(countSpec()).name("count").foreachRDD(out("count"));
    };
    await run(dir, 0, [["a", "b"], ["a"]], countFirst);
    const after = await run(dir, 2 * BATCH, [["a"]], lastFirst);
    expect(after.get("count@3000")).toEqual([["a", 3]]);
    expect(after.get("last@3000")).toEqual([["a", "2000->3000"]]);
  });

  it("reduceByWindow and countByWindow with inverses, named and created in the other order, keep their own state", async () => {
    const dir = await temp();
    const build =
      (sumFirst: boolean): Build =>
      (words, out) => {
        const lengths = words.map((w) => w.length);
        const sum = (): void => lengths.reduceByWindow((a, b) => a + b, (a, b) => a - b, 3 * BATCH, BATCH).name("sum").foreachRDD(out("sum"));
        const n = (): void => words.countByWindow(3 * BATCH, BATCH).name("n").foreachRDD(out("n"));
        if (sumFirst) (sum(), n());
        else (n(), sum());
      };
    await run(dir, 0, [["aaaa", "bb"], ["cccccc"]], build(true));
    const after = await run(dir, 2 * BATCH, [["d"]], build(false));
    expect(after.get("sum@3000")).toEqual([13]);
    expect(after.get("n@3000")).toEqual([4]);
  });

  it("updateStateByKey and mapWithState, named and swapped, keep their own state", async () => {
    const dir = await temp();
    const build =
      (usbkFirst: boolean): Build =>
      (words, out) => {
        const p = pairs(words);
        const usbk = (): void =>
          p
            .updateStateByKey<string, number, number>((vs, st) => vs.length * 100 + (st ?? 0))
            .name("hundreds")
            .foreachRDD(out("hundreds"));
        const mws = (): void => p.mapWithState(countSpec()).name("count").foreachRDD(out("count"));
        if (usbkFirst) (usbk(), mws());
        else (mws(), usbk());
      };
    await run(dir, 0, [["a"], ["a"]], build(true));
    const after = await run(dir, 2 * BATCH, [["a"]], build(false));
    expect(after.get("hundreds@3000")).toEqual([["a", 300]]);
    expect(after.get("count@3000")).toEqual([["a", 3]]);
  });

  it("stateless operators with an output added before named stateful operators do not make the checkpoint mismatch", async () => {
    const dir = await temp();
    const stateful: Build = (words, out) => {
      const p = pairs(words.filter((w) => w.length > 0));
      p.mapWithState(countSpec()).name("count").foreachRDD(out("count"));
      p.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 2 * BATCH, BATCH).name("window").foreachRDD(out("window"));
    };
    await run(dir, 0, [["a", "b"], ["a"]], stateful);
    const after = await run(dir, 2 * BATCH, [["a"]], (words, out) => {
      words.map((w) => w.toUpperCase()).filter((w) => w !== "B").foreachRDD(out("upper"));
      words.count().foreachRDD(out("total"));
      stateful(words, out);
    });
    expect(after.get("upper@3000")).toEqual(["A"]);
    expect(after.get("count@3000")).toEqual([["a", 3]]);
    expect(after.get("window@3000")).toEqual([["a", 2], ["b", 0]]);
  });
});
