import { describe, expect, it } from "vitest";
import { ManualClock, type SchedulingClock } from "../clock.js";
import type { BatchInfo } from "../listener.js";
import { StreamingContext } from "../streaming-context.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-scheduler-");

/**
 * A ManualClock whose `now()` can be pushed ahead of its timers, to model a batch that takes
 * processing time: timers still fire on the batch grid.
 */
class SlowClock implements SchedulingClock {
  readonly manual = new ManualClock();
  private extra = 0;
  now(): number {
    return this.manual.now() + this.extra;
  }
  schedule(at: number, priority: number, fn: () => void | Promise<void>) {
    return this.manual.schedule(at, priority, fn);
  }
  /** Pretend `ms` of processing time passed. */
  spend(ms: number): void {
    this.extra += ms;
  }
}

describe("JobScheduler", () => {
  it("runs every due batch once, in time order, when the clock jumps several intervals", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const times: number[] = [];
    ssc.queueStream([[1], [2], [3], [4], [5]]).foreachRDD((_r, t) => void times.push(t));
    await ssc.start();
    await clock.advance(3500);
    expect(times).toEqual([1000, 2000, 3000]);
    await clock.advance(1500);
    expect(times).toEqual([1000, 2000, 3000, 4000, 5000]);
    await ssc.stop();
  });

  it("concurrent advance() calls still run batches one at a time", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const log: string[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_r, t) => {
      log.push(`start ${t}`);
      await new Promise((r) => setImmediate(r));
      log.push(`end ${t}`);
    });
    await ssc.start();
    await Promise.all([clock.advance(1000), clock.advance(1000), clock.advance(1000)]);
    await ssc.stop();
    expect(log).toEqual(["start 1000", "end 1000", "start 2000", "end 2000", "start 3000", "end 3000"]);
  });

  it("a batch that runs longer than the interval delays the next one; none is skipped", async () => {
    const clock = new SlowClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const infos: BatchInfo[] = [];
    ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => void infos.push(batchInfo) });
    ssc.queueStream([[1], [2], [3]]).foreachRDD((_r, t) => {
      if (t === 1000) clock.spend(1500);
    });
    await ssc.start();
    await clock.manual.advance(3000);
    await ssc.stop();
    expect(infos.map((i) => [i.batchTime, i.schedulingDelay, i.processingDelay, i.totalDelay])).toEqual([
      [1000, 0, 1500, 1500],
      [2000, 1500, 0, 1500],
      [3000, 1500, 0, 1500],
    ]);
  });

  it("stop() waits for the batch in flight and no batch runs after it", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ssc.queueStream([[1], [2]]).foreachRDD(async (_r, t) => {
      log.push(`start ${t}`);
      if (t === 1000) await gate;
      log.push(`end ${t}`);
    });
    await ssc.start();
    const advancing = clock.advance(2000);
    await new Promise((r) => setImmediate(r));
    const stopping = ssc.stop();
    release();
    await stopping;
    await advancing.catch(() => undefined);
    expect(log).toEqual(["start 1000", "end 1000"]);
    expect(ssc.getState()).toBe("stopped");
  });

  it("a failed batch stops the context; later batch times never run", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const times: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((_r, t) => {
      times.push(t);
      if (t === 1000) throw new Error("first batch fails");
    });
    await ssc.start();
    await expect(clock.advance(3000)).rejects.toMatchObject({ batchTime: 1000 });
    await expect(ssc.awaitTermination()).rejects.toMatchObject({ batchTime: 1000 });
    await clock.advance(2000);
    expect(times).toEqual([1000]);
    expect(ssc.getState()).toBe("stopped");
  });

  it("a stateful operator that fails where no output reads it names the operator", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: await tempDir() });
    const totals = ssc
      .queueStream<[string, number]>([[["a", 1]]])
      .updateStateByKey((): number => {
        throw new Error("state bug");
      })
      .name("totals");
    // Read every 2 s: batch 1000 has no output job, so the state advances on its own.
    totals.window(2000, 2000).foreachRDD(() => undefined);
    await ssc.start();
    await expect(clock.advance(1000)).rejects.toThrow(/^Batch 1000 ms failed in StateDStream totals: state bug$/);
    await ssc.stop().catch(() => undefined);
  });
});
