import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { StateSpec, type DStream } from "../dstream/internal.js";
import { StreamTest } from "../test-support/stream-test.js";

const words = [["a", "b", "a"], ["b"], [], ["c", "a"], ["a"], [], ["b", "b", "c"], ["d"], [], ["a"]];
const pairs = (s: DStream<string>): DStream<[string, number]> => s.map((w): [string, number] => [w, 1]);
const add = (a: number, b: number): number => a + b;
const sub = (a: number, b: number): number => a - b;

/** Each operator under test, from the input stream of words. */
const operators: Record<string, (s: DStream<string>) => DStream<unknown>> = {
  updateStateByKey: (s) => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)),
  "updateStateByKey removing keys": (s) =>
    pairs(s).updateStateByKey<string, number, number>((vs, st) => {
      const n = vs.reduce(add, st ?? 0);
      return n >= 3 ? undefined : n;
    }),
  mapWithState: (s) =>
    pairs(s).mapWithState(
      StateSpec.function<string, number, number, string>((k, v, st) => {
        if (st.isTimingOut()) return `${k} timed out at ${st.get()}`;
        const n = (st.getOption() ?? 0) + (v ?? 0);
        st.update(n);
        return `${k}=${n}`;
      }).timeout(2000),
    ),
  "mapWithState stateSnapshots": (s) =>
    pairs(s)
      .mapWithState(
        StateSpec.function<string, number, number, undefined>((_k, v, st) => {
          st.update((st.getOption() ?? 0) + (v ?? 0));
          return undefined;
        }),
      )
      .stateSnapshots(),
  "reduceByKeyAndWindow with inverse": (s) => pairs(s).reduceByKeyAndWindow(add, sub, 3000, 1000),
  "reduceByKeyAndWindow with inverse, slide 2": (s) => pairs(s).reduceByKeyAndWindow(add, sub, 4000, 2000, { filterFunc: ([, v]) => v > 0 }),
  "reduceByKeyAndWindow naive": (s) => pairs(s).reduceByKeyAndWindow(add, 3000, 1000),
  window: (s) => s.window(3000, 1000),
  countByWindow: (s) => s.countByWindow(3000, 1000),
  countByValueAndWindow: (s) => s.countByValueAndWindow(4000, 2000),
  groupByKeyAndWindow: (s) => pairs(s).groupByKeyAndWindow(2000, 1000),
  "window over a window over updateStateByKey": (s) =>
    pairs(s)
      .updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0))
      .window(3000, 1000)
      .window(3000, 1000),
  "window over updateStateByKey": (s) => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)).window(3000, 1000),
  "window over mapWithState": (s) =>
    pairs(s)
      .mapWithState(
        StateSpec.function<string, number, number, string>((k, v, st) => {
          const n = (st.getOption() ?? 0) + (v ?? 0);
          st.update(n);
          return `${k}:${n}`;
        }),
      )
      .window(2000, 2000),
};

const sortDeep = (xs: unknown[]): unknown[] => [...xs].map((x) => JSON.stringify(x)).sort();

async function reference(op: (s: DStream<string>) => DStream<unknown>): Promise<Map<number, unknown[]>> {
  const t = new StreamTest(op);
  for (const b of words) t.addData(...b);
  await t.start();
  await t.advance(words.length + 2);
  await t.stop();
  return t.outputsByTime();
}

describe("recovery: a restart after every batch position gives the output of a run without one", () => {
  for (const [name, op] of Object.entries(operators)) {
    it(name, async () => {
      const expected = await reference(op);
      expect(expected.size).toBeGreaterThanOrEqual(6);
      for (let k = 0; k <= words.length; k++) {
        const t = new StreamTest(op);
        for (const b of words) t.addData(...b);
        await t.start();
        await t.advance(k);
        await t.crash();
        const ssc = await t.restart();
        expect(ssc.recovered).toBe(true);
        await t.advance(words.length + 2 - k);
        await t.stop();
        const got = t.outputsByTime(); // throws if a batch was output twice
        expect([...got.keys()]).toEqual([...expected.keys()]);
        for (const [time, out] of expected) expect(sortDeep(got.get(time) ?? []), `${name}, crash after ${k} batches, batch ${time}`).toEqual(sortDeep(out));
      }
    });
  }
});

describe("recovery of failed and interrupted batches", () => {
  it("re-runs a batch whose output operation failed, after a restart", async () => {
    let failOnce = true;
    const t = new StreamTest((s: DStream<string>) =>
      pairs(s).updateStateByKey<string, number, number>((vs, st) => {
        if (vs.length === 1 && failOnce && st === 2) {
          failOnce = false;
          throw new Error("transient");
        }
        return vs.reduce(add, st ?? 0);
      }),
    );
    t.addData("a", "a").addData("a").addData("b");
    await t.start();
    await t.advance(1);
    await expect(t.advance(1)).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED, batchTime: 2000 });
    await t.crash();
    await t.restart();
    await t.advance(1);
    await t.stop();
    expect(t.outputs.map(([time, out]) => [time, sortDeep(out)])).toEqual([
      [1000, sortDeep([["a", 2]])],
      [2000, sortDeep([["a", 3]])],
      [3000, sortDeep([["a", 3], ["b", 1]])],
    ]);
  });

  it("fails with DSTREAM_CHECKPOINT_MISMATCH naming the change when a stateful operator is added", async () => {
    const t = new StreamTest((s: DStream<string>) => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)));
    t.addData("a");
    await t.start();
    await t.advance(1);
    await t.stop();
    const changed = new StreamTest(
      (s: DStream<string>) => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)),
      {},
      t.dir,
    );
    await expect(changed.start()).rejects.toMatchObject({
      code: ErrorCodes.CHECKPOINT_MISMATCH,
      changes: [expect.objectContaining({ kind: "added" })],
      message: expect.stringMatching(/operator added: StateDStream/),
    });
  });

  it("fails with the report when a stateful operator is removed, and recovers when only a function body changed", async () => {
    const t = new StreamTest((s: DStream<string>) => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)));
    t.addData("a", "a");
    await t.start();
    await t.advance(1);
    await t.stop();
    const removed = new StreamTest((s: DStream<string>) => pairs(s), {}, t.dir);
    await expect(removed.start()).rejects.toMatchObject({ code: ErrorCodes.CHECKPOINT_MISMATCH, message: expect.stringMatching(/operator removed/) });
    const bodyChanged = new StreamTest((s: DStream<string>) => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.length * 10 + (st ?? 0)), {}, t.dir);
    bodyChanged.addData("a");
    const ssc = await bodyChanged.start();
    expect(ssc.recovered).toBe(true);
    // A new StreamTest's clock starts at 0: the batch after the checkpoint's last one is at 2000.
    await bodyChanged.advance(2);
    await bodyChanged.stop();
    expect(bodyChanged.outputs).toEqual([[2000, [["a", 12]]]]);
  });

  it("fails with the report when the batch duration changes", async () => {
    const op = (s: DStream<string>): DStream<unknown> => s.count();
    const t = new StreamTest(op);
    await t.start();
    await t.advance(1);
    await t.stop();
    const other = new StreamTest(op, { batchDuration: 2000 }, t.dir);
    const err = (await other.start().catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: ErrorCodes.CHECKPOINT_MISMATCH });
    // Only the change and its fix: not every operator's slide, which follows the batch.
    expect(err.message.split("\n").slice(1)).toEqual(["  - batch duration changed: 1000 ms → 2000 ms", "Restore batchDuration to 1000 ms, or start from an empty checkpoint directory."]);
  });

  it("needs a checkpoint directory for stateful operators", async () => {
    const { StreamingContext } = await import("../streaming-context.js");
    const { ManualClock } = await import("../clock.js");
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    pairs(ssc.queueStream<string>([])).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)).print();
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.CHECKPOINT_REQUIRED });
  });
});

describe("snapshots", () => {
  it("are taken every snapshotInterval batches of the grid, also when the job restarts more often than that", async () => {
    const { openCheckpointStore } = await import("../../storage/checkpoint-store.js");
    const op = (s: DStream<string>): DStream<unknown> => pairs(s).updateStateByKey<string, number, number>((vs, st) => vs.reduce(add, st ?? 0)).name("totals");
    const t = new StreamTest(op, { snapshotInterval: 3 });
    for (const b of words) t.addData(...b);
    await t.start();
    for (let run = 0; run < 3; run++) {
      await t.advance(2);
      await t.crash();
      await t.restart();
    }
    await t.stop();
    const store = await openCheckpointStore(t.dir);
    try {
      const versions = await store.snapshotVersions("totals");
      expect(versions.length).toBeGreaterThan(0);
      expect(versions[0]).toBeGreaterThanOrEqual(3000);
    } finally {
      await store.close();
    }
  });
});
