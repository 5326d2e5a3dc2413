import { describe, expect, it } from "vitest";
import { ErrorCodes, StorageError } from "../../errors.js";
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import type { KvOp, KvStore, KvWriteOptions } from "../../storage/kv.js";
import { PassThroughKv } from "../../storage/pass-through-kv.js";
import { decodeKey } from "../../storage/keys.js";
import { LevelKv } from "../../storage/level-kv.js";
import { ManualClock } from "../clock.js";
import type { DStream } from "../dstream/internal.js";
import { StreamingContext } from "../streaming-context.js";
import { tempCheckpointDir } from "../test-support/stream-test.js";

/** Passes through to `inner`, except that write number `failAt` (0-based) fails with `error`. */
class FailingKv extends PassThroughKv {
  writes = 0;
  constructor(
    inner: KvStore,
    private readonly failAt: number,
    private readonly error: () => Error,
  ) {
    super(inner);
  }
  override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    if (this.writes++ === this.failAt) throw this.error();
    return this.inner.write(ops, options);
  }
}

const running = (s: DStream<string>): DStream<[string, number]> =>
  s.map((w): [string, number] => [w, 1]).updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0));

async function run(dir: string, kv: KvStore | undefined, input: string[][], clock: ManualClock, out: [number, [string, number][]][]): Promise<StreamingContext> {
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const s = new StreamingContext({
      batchDuration: 1000,
      clock,
      checkpointOptions: kv === undefined ? {} : { openStore: () => CheckpointStore.over(kv) },
    });
    running(s.queueStream(input)).foreachRDD((rdd, t) => void out.push([t, rdd.collect()]));
    return s;
  });
  await ssc.start();
  return ssc;
}

describe("storage failures", () => {
  for (const code of [ErrorCodes.STORAGE_FULL, ErrorCodes.STORAGE_IO]) {
    it(`a ${code} on a commit stops the context with that error; a restart re-runs the batch and loses nothing`, async () => {
      const dir = tempCheckpointDir();
      const input = [["a"], ["a", "b"], ["b"], ["c"]];
      // Writes: meta, then per batch: plan, commit. Write 4 is batch 2's commit.
      const kv = new FailingKv(await LevelKv.open(dir), 4, () => new StorageError(code, `simulated ${code}`));
      const clock = new ManualClock();
      const out: [number, [string, number][]][] = [];
      const ssc = await run(dir, kv, input, clock, out);
      await expect(clock.advance(3000)).rejects.toMatchObject({ code });
      await expect(ssc.awaitTermination()).rejects.toMatchObject({ code });
      expect(ssc.getState()).toBe("stopped");
      expect(out.map(([t]) => t)).toEqual([1000, 2000]); // batch 2 ran, its commit failed

      const out2: [number, [string, number][]][] = [];
      const clock2 = new ManualClock(clock.now());
      const again = await run(dir, undefined, input, clock2, out2);
      expect(again.recovered).toBe(true);
      await clock2.advance(2000);
      await again.stop();
      // Batch 2000 is re-run from its recorded plan; the state continues from batch 1000's commit.
      expect(out2.map(([t, r]) => [t, [...r].sort()])).toEqual([
        [2000, [["a", 2], ["b", 1]]],
        [3000, [["a", 2], ["b", 2]]],
        [4000, [["a", 2], ["b", 2], ["c", 1]]],
      ]);
    });
  }

  it("a second process on the same directory gets DSTREAM_STORAGE_LOCKED from getOrCreate", async () => {
    const dir = tempCheckpointDir();
    const clock = new ManualClock();
    const a = await run(dir, undefined, [], clock, []);
    await expect(run(dir, undefined, [], new ManualClock(), [])).rejects.toMatchObject({ code: ErrorCodes.STORAGE_LOCKED });
    await a.stop();
  });
});

describe("background snapshot failures", () => {
  it("a snapshot write that fails stops the context at the next batch with the coded error; a restart recovers from the deltas", async () => {
    const dir = tempCheckpointDir();
    const input = [["a"], ["a", "b"], ["b"], ["c"], ["c"], ["a"]];
    const inner = await LevelKv.open(dir);
    // Fail the first write of a snapshot chunk, whenever it comes.
    const kv = new (class extends PassThroughKv {
      failed = false;
      override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
        if (!this.failed && ops.some((op) => op.type === "put" && decodeKey(op.key).space === "snapshot")) {
          this.failed = true;
          throw new StorageError(ErrorCodes.STORAGE_FULL, "simulated full disk during a snapshot");
        }
        return this.inner.write(ops, options);
      }
    })(inner);
    const clock = new ManualClock();
    const out: [number, [string, number][]][] = [];
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: { snapshotInterval: 2, openStore: () => CheckpointStore.over(kv) } });
      running(s.queueStream(input)).foreachRDD((rdd, t) => void out.push([t, rdd.collect()]));
      return s;
    });
    await ssc.start();
    await expect(clock.advance(6000)).rejects.toMatchObject({ code: ErrorCodes.STORAGE_FULL });
    await expect(ssc.awaitTermination()).rejects.toMatchObject({ code: ErrorCodes.STORAGE_FULL });
    expect(kv.failed).toBe(true);
    // Batch 2000's snapshot failed in the background; batch 3000 ran and committed, then its
    // cleanup step reported the failure.
    expect(out.map(([t]) => t)).toEqual([1000, 2000, 3000]);

    const out2: [number, [string, number][]][] = [];
    const clock2 = new ManualClock(clock.now());
    const again = await run(dir, undefined, input, clock2, out2);
    await clock2.advance(3000);
    await again.stop();
    expect(out2.map(([t]) => t)).toEqual([4000, 5000, 6000]);
    // The state goes on from the deltas: the last batch counts every word of the input once.
    const last = out2[out2.length - 1]?.[1] ?? [];
    expect([...last].sort()).toEqual([
      ["a", 3],
      ["b", 2],
      ["c", 2],
    ]);
  });
});
