/**
 * A snapshot holds the state as of its commit, even when the next batch changes object values in
 * place while the snapshot is still being written (a state function doing `s.n += v` on the object
 * it got, common in JavaScript). Found by a review: the snapshot kept a shallow copy and packed it
 * in the background, so the snapshot written as version 1000 held batch 2000's value, and a crash
 * before batch 2000 committed applied that batch twice (a=1, a=3 where a run without a crash gives
 * a=1, a=2).
 */
import { expect, it } from "vitest";
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { decodeKey, MANIFEST_CHUNK } from "../../storage/keys.js";
import type { KvOp, KvWriteOptions } from "../../storage/kv.js";
import { LevelKv } from "../../storage/level-kv.js";
import { PassThroughKv } from "../../storage/pass-through-kv.js";
import { ManualClock } from "../clock.js";
import { StateSpec, type DStream } from "../dstream/internal.js";
import { StreamingContext } from "../streaming-context.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-snapshot-packing-");

/**
 * Holds the writes of the snapshots of batch 1000 until batch 2000's commit is attempted (batch
 * 2000 has run by then, changing the state's objects), lets both snapshots complete, then fails that
 * commit as a crash would.
 */
class SlowSnapshotsThenCrash extends PassThroughKv {
  private release!: () => void;
  private readonly held = new Promise<void>((r) => (this.release = r));
  private manifests = 0;
  private bothWritten!: () => void;
  private readonly written = new Promise<void>((r) => (this.bothWritten = r));
  crashed = false;

  override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    if (this.crashed) throw new Error("the process is gone");
    const keys = ops.map((o) => decodeKey(o.key) as { space: string; version?: number; time?: number; chunk?: number });
    const snapshot = keys.some((k) => k.space === "snapshot" && k.version === 1000);
    if (snapshot) await this.held;
    if (keys.some((k) => k.space === "commit" && k.time === 2000)) {
      this.release();
      await this.written;
      this.crashed = true;
      throw new Error("crash at the commit of batch 2000");
    }
    await this.inner.write(ops, options);
    if (snapshot && ops.some((o, i) => o.type === "put" && keys[i]!.chunk === MANIFEST_CHUNK) && ++this.manifests === 2) this.bothWritten();
  }
}

/** Two stateful operators (so their snapshots are written one after the other), one keeping an object it changes in place. */
function job(s: DStream<string>, out: Map<number, string[]>): void {
  const pairs = s.map((w): [string, number] => [w, 1]);
  pairs.updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0)).foreachRDD(() => undefined);
  pairs
    .mapWithState(
      StateSpec.function<string, number, { n: number }, string>((k, v, st) => {
        const state = st.getOption() ?? { n: 0 };
        state.n += v ?? 0;
        st.update(state);
        return `${k}=${state.n}`;
      }),
    )
    .foreachRDD((rdd, t) => void out.set(t, rdd.collect()));
}

async function run(dir: string, crash: boolean): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  const input = [["a"], ["a"]];
  let clock = new ManualClock();
  const start = async (kv: PassThroughKv, queue: string[][]): Promise<StreamingContext> => {
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: { snapshotInterval: 1, retainBatches: 2, openStore: () => CheckpointStore.over(kv) } });
      job(s.queueStream(queue), out);
      return s;
    });
    await ssc.start();
    return ssc;
  };
  const first = crash ? new SlowSnapshotsThenCrash(await LevelKv.open(dir)) : new PassThroughKv(await LevelKv.open(dir));
  const ssc = await start(first, input);
  const ran = await clock.advance(2000).then(
    () => true,
    () => false,
  );
  await ssc.stop().catch(() => undefined);
  await first.inner.close();
  if (ran) return out;
  // The restart: batch 2000 was planned, not committed; it runs again from the checkpoint.
  clock = new ManualClock(clock.now());
  const second = new PassThroughKv(await LevelKv.open(dir));
  const again = await start(second, []);
  await clock.advance(2000 - clock.now());
  await again.stop();
  await second.inner.close();
  return out;
}

it("a snapshot holds the state as of its commit, though the next batch changes its objects in place while it is written", async () => {
  const clean = await run(await tempDir(), false);
  expect([...clean]).toEqual([
    [1000, ["a=1"]],
    [2000, ["a=2"]],
  ]);
  const crashed = await run(await tempDir(), true);
  expect([...crashed]).toEqual([...clean]);
});
