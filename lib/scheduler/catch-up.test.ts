/**
 * Downtime: a restart runs the batch times that passed while the job was down (Spark's window and
 * state semantics), announces it, keeps records received since the restart out of those batches,
 * and a catch-up interrupted by another crash re-runs with exactly the input it was planned with.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { FaultInjectingKv, SimulatedCrash } from "../../storage/fault-kv.js";
import { decodeKey } from "../../storage/keys.js";
import type { KvOp, KvWriteOptions } from "../../storage/kv.js";
import { LevelKv } from "../../storage/level-kv.js";
import { ManualClock } from "../clock.js";
import type { CatchUpRange } from "../listener.js";
import { Receiver } from "../receiver/receiver.js";
import { StreamingContext } from "../streaming-context.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-catch-up-");

/** A reliable receiver: what a run stores in onStart (as a source that delivers at once on connect). */
class OnConnectReceiver extends Receiver<string> {
  constructor(private readonly onConnect: string[]) {
    super({ name: "on-connect" });
  }
  onStart(): void {
    if (this.onConnect.length === 0) return;
    this.store(`${this.onConnect[0]}:buffered`);
    void this.storeMany(this.onConnect.slice(1)).catch(() => undefined);
  }
  onStop(): void {}
}

/** A receiver the test stores through. */
class OnConnectReceiverOf<T> extends Receiver<T> {
  onStart(): void {}
  onStop(): void {}
}

/** Counts, per write, the batch plans and commits it holds. */
class WriteLog extends FaultInjectingKv {
  readonly writesOf: { plans: number[]; commits: number[] }[] = [];
  override write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    const plans: number[] = [];
    const commits: number[] = [];
    for (const op of ops) {
      if (op.type !== "put") continue;
      const k = decodeKey(op.key);
      if (k.space === "batch") plans.push(k.time);
      if (k.space === "commit") commits.push(k.time);
    }
    if (plans.length + commits.length > 0) this.writesOf.push({ plans, commits });
    return super.write(ops, options);
  }
}

/** Fails (as a killed process) at its first write that commits a batch. */
class DiesAtFirstCommit extends FaultInjectingKv {
  override write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    if (!this.crashed && ops.some((op) => op.type === "put" && decodeKey(op.key).space === "commit")) this.crashNow();
    return super.write(ops, options);
  }
}

interface Run {
  ssc: StreamingContext;
  receiver: OnConnectReceiver;
  batches: Map<number, string[]>;
  states: Map<number, [string, number][]>;
  kv: FaultInjectingKv;
}

let running: Run | undefined;
afterEach(async () => {
  await running?.ssc.stop().catch(() => undefined);
  await running?.kv.inner.close().catch(() => undefined);
  running = undefined;
  vi.restoreAllMocks();
});

/** One process of the job on `dir`: records per batch, and updateStateByKey counting the batches each key lived through. */
async function run(dir: string, clock: ManualClock, onConnect: string[], kv?: FaultInjectingKv): Promise<Run> {
  const store = kv ?? new FaultInjectingKv(await LevelKv.open(dir));
  const receiver = new OnConnectReceiver(onConnect);
  const batches = new Map<number, string[]>();
  const states = new Map<number, [string, number][]>();
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const s = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: { openStore: () => CheckpointStore.over(store) } });
    const records = s.receiverStream(receiver);
    records.foreachRDD((rdd, t) => void batches.set(t, rdd.collect().sort()));
    records
      .map((r): [string, number] => [r, 1])
      .updateStateByKey<string, number, number>((_vs, n) => (n ?? 0) + 1)
      .foreachRDD((rdd, t) => void states.set(t, rdd.collect().sort()));
    return s;
  });
  running = { ssc, receiver, batches, states, kv: store };
  return running;
}

/** The process dies: nothing it would still write reaches the disk. */
async function crash(r: Run): Promise<void> {
  r.kv.crashNow();
  await r.ssc.stop().catch(() => undefined);
  await r.kv.inner.close();
  running = undefined;
}

/** A first process: "a" in batch 1000, then "b" stored (durable) and never planned before it dies at 1000. */
async function firstRunThenCrash(dir: string): Promise<void> {
  const clock = new ManualClock(0);
  const first = await run(dir, clock, []);
  await first.ssc.start();
  await first.receiver.storeMany(["a"]);
  await clock.advance(1000);
  await first.receiver.storeMany(["b"]);
  await crash(first);
}

describe("catch-up after downtime", () => {
  it("runs every missed grid time, announced; only records stored before the crash go into the first; fresh ones go after", async () => {
    const dir = await tempDir();
    await firstRunThenCrash(dir);

    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const ranges: CatchUpRange[] = [];
    const completed: number[] = [];
    const clock = new ManualClock(10_500); // down from 1000 to 10500: 2000..10000 were missed
    const second = await run(dir, clock, ["fresh", "fresh-many"]);
    second.ssc.addStreamingListener({
      onCatchUpStarted: (e) => void ranges.push(e),
      onCatchUpCompleted: (e) => void completed.push(e.numBatches),
    });
    await second.ssc.start();
    expect(ranges).toEqual([{ fromTime: 2000, toTime: 10000, numBatches: 9, batchDuration: 1000, restartTime: 10_500 }]);
    expect(completed).toEqual([9]);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^dstream: catching up 9 batches missed while down \(from 2000 ms .* to 10000 ms .*\)/)]);
    // Every missed time is a batch; the first takes "b", stored before the crash, and nothing else.
    expect([...second.batches.keys()]).toEqual([2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    expect(second.batches.get(2000)).toEqual(["b"]);
    for (let t = 3000; t <= 10000; t += 1000) expect(second.batches.get(t)).toEqual([]);
    // updateStateByKey saw every missed batch: "a" lived through 1000..10000.
    expect(second.states.get(10000)).toEqual([
      ["a", 10],
      ["b", 9],
    ]);
    // Records received since the restart: in the first batch after it.
    await clock.advance(500);
    expect(second.batches.get(11000)).toEqual(["fresh-many", "fresh:buffered"]);
    await second.ssc.stop();
  });

  it("no downtime, no catch-up: nothing is announced", async () => {
    const dir = await tempDir();
    const clock = new ManualClock(0);
    const first = await run(dir, clock, []);
    await first.ssc.start();
    await clock.advance(2000);
    await first.ssc.stop();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const second = await run(dir, new ManualClock(2500), ["x"]);
    await second.ssc.start();
    expect(second.batches.size).toBe(0);
    expect(warn).not.toHaveBeenCalled();
    await (second.ssc.clock as ManualClock).advance(500);
    expect(second.batches.get(3000)).toEqual(["x:buffered"]);
    await second.ssc.stop();
  });

  it("missed batches share one write per group; a group that runs long commits early, the rest already planned", async () => {
    const dir = await tempDir();
    await firstRunThenCrash(dir);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const kv = new WriteLog(await LevelKv.open(dir));
    const second = await run(dir, new ManualClock(5_500), [], kv);
    await second.ssc.start();
    // 2000..5000: every plan in the first write, all four commits in the second.
    expect(kv.writesOf).toEqual([
      { plans: [2000, 3000, 4000, 5000], commits: [] },
      { plans: [], commits: [2000, 3000, 4000, 5000] },
    ]);
    await crash(second);

    // Down again; now each missed batch "takes" 300 ms of wall-clock time (the group budget is 250).
    let wall = 0;
    vi.spyOn(performance, "now").mockImplementation(() => wall);
    const slow = new WriteLog(await LevelKv.open(dir));
    const third = await run(dir, new ManualClock(8_100), [], slow);
    third.ssc.addStreamingListener({ onBatchStarted: () => void (wall += 300) });
    await third.ssc.start();
    expect(slow.writesOf).toEqual([
      { plans: [6000, 7000, 8000], commits: [] },
      { plans: [], commits: [6000] },
      { plans: [], commits: [7000] },
      { plans: [], commits: [8000] },
    ]);
    expect([...third.batches.keys()]).toEqual([6000, 7000, 8000]);
    expect(third.states.get(8000)).toEqual([
      ["a", 8],
      ["b", 7],
    ]);
    await third.ssc.stop();
  });

  it("a catch-up cut short by a crash re-runs with exactly the input it was planned with", async () => {
    const dir = await tempDir();
    await firstRunThenCrash(dir);

    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // The second process plans and runs the catch-up, and dies at its commit write.
    const dying = new DiesAtFirstCommit(await LevelKv.open(dir));
    const second = await run(dir, new ManualClock(5_500), ["fresh2", "fresh2-many"], dying);
    const err = await second.ssc.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(SimulatedCrash.is(err)).toBe(true);
    expect(second.ssc.getState()).toBe("stopped");
    const ranBeforeCrash = new Map(second.batches);
    expect([...ranBeforeCrash.keys()]).toEqual([2000, 3000, 4000, 5000]);
    await crash(second);

    // The third process re-runs 2000..5000 from their recorded plans: the same input, the same
    // output, although the second process had stored more records meanwhile. Those were stored
    // before this restart: the first newly missed time (6000) takes them (the one store() had
    // only buffered died with the process, as in Spark).
    const clock = new ManualClock(7_200);
    const third = await run(dir, clock, ["fresh3"]);
    await third.ssc.start();
    for (const t of [2000, 3000, 4000, 5000]) expect(third.batches.get(t), `batch ${t}`).toEqual(ranBeforeCrash.get(t));
    expect(third.batches.get(2000)).toEqual(["b"]);
    expect(third.batches.get(6000)).toEqual(["fresh2-many"]);
    expect(third.batches.get(7000)).toEqual([]);
    expect(third.states.get(7000)).toEqual([
      ["a", 7],
      ["b", 6],
      ["fresh2-many", 2],
    ]);
    await clock.advance(800);
    expect(third.batches.get(8000)).toEqual(["fresh3:buffered"]);
    await third.ssc.stop();
  });

  it("event-time windows: missed batches decide their watermark as they run, as without downtime", async () => {
    type Rec = [string, number];
    /** One process: a tumbling 1 s event-time window (append) over the receiver's [key, event time] records. */
    const start = async (dir: string, clock: ManualClock) => {
      const receiver = new OnConnectReceiverOf<Rec>();
      const out = new Map<number, string[]>();
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        const s = new StreamingContext({ batchDuration: 1000, clock });
        s.receiverStream(receiver)
          .withWatermark((r) => r[1], 0)
          .map((r): [string, number] => [r[0], 1])
          .windowedReduceByKey((a, b) => a + b, { size: 1000 })
          .foreachRDD((rdd, t) => void out.set(t, rdd.collect().map(([k, n, w]) => `${k}:${n}@${w.start}`).sort()));
        return s;
      });
      await ssc.start();
      return { ssc, receiver, out };
    };
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // Without downtime: "a" in batch 1000; "b" and "c" in batch 2000 move the watermark to 4100.
    const refDir = await tempDir();
    const refClock = new ManualClock(0);
    const ref = await start(refDir, refClock);
    await ref.receiver.storeMany([["a", 500]]);
    await refClock.advance(1000);
    await ref.receiver.storeMany([["b", 2500], ["c", 4100]]);
    await refClock.advance(4000);
    await ref.ssc.stop();
    expect(ref.out.get(3000)).toEqual(["a:1@0", "b:1@2000"]);

    // Down from 1000 to 5500 with "b" and "c" stored and never planned: the catch-up gives the same.
    const dir = await tempDir();
    const clock = new ManualClock(0);
    const first = await start(dir, clock);
    await first.receiver.storeMany([["a", 500]]);
    await clock.advance(1000);
    await first.receiver.storeMany([["b", 2500], ["c", 4100]]);
    await first.ssc.stop();
    const second = await start(dir, new ManualClock(5500));
    await second.ssc.stop();
    for (const t of [2000, 3000, 4000, 5000]) expect(second.out.get(t), `batch ${t}`).toEqual(ref.out.get(t));
  });
});
