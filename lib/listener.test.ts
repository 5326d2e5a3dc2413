import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "./clock.js";
import type { BatchInfo, OutputOperationInfo, StreamingListener } from "./listener.js";
import { StreamingContext } from "./streaming-context.js";

/** A listener that records every event as `name` or `name@time#op`, with the payloads. */
function recorder() {
  const events: string[] = [];
  const completed: BatchInfo[] = [];
  const ops: OutputOperationInfo[] = [];
  const listener: StreamingListener = {
    onStreamingStarted: () => void events.push("streamingStarted"),
    onBatchSubmitted: ({ batchInfo }) => void events.push(`batchSubmitted@${batchInfo.batchTime}`),
    onBatchStarted: ({ batchInfo }) => void events.push(`batchStarted@${batchInfo.batchTime}`),
    onOutputOperationStarted: ({ outputOperationInfo: o }) => void events.push(`opStarted@${o.batchTime}#${o.id}`),
    onOutputOperationCompleted: ({ outputOperationInfo: o }) => {
      events.push(`opCompleted@${o.batchTime}#${o.id}`);
      ops.push(o);
    },
    onBatchCompleted: ({ batchInfo }) => {
      events.push(`batchCompleted@${batchInfo.batchTime}`);
      completed.push(batchInfo);
    },
  };
  return { events, completed, ops, listener };
}

function context() {
  const clock = new ManualClock();
  return { clock, ssc: new StreamingContext({ batchDuration: 1000, clock }) };
}

afterEach(() => vi.restoreAllMocks());

describe("StreamingListener", () => {
  it("receives events in order: started, then per batch submitted, started, each op, completed", async () => {
    const { clock, ssc } = context();
    const rec = recorder();
    ssc.addStreamingListener(rec.listener);
    const s = ssc.queueStream([[1, 2], [3]]);
    s.foreachRDD(() => undefined);
    s.count().foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    const batch = (t: number): string[] => [`batchSubmitted@${t}`, `batchStarted@${t}`, `opStarted@${t}#0`, `opCompleted@${t}#0`, `opStarted@${t}#1`, `opCompleted@${t}#1`, `batchCompleted@${t}`];
    expect(rec.events).toEqual(["streamingStarted", ...batch(1000), ...batch(2000)]);
  });

  it("fills BatchInfo: numRecords of all inputs, non-negative delays, output operations in order", async () => {
    const { clock, ssc } = context();
    const rec = recorder();
    ssc.addStreamingListener(rec.listener);
    const a = ssc.queueStream([[1, 2, 3], [], [4]]);
    const b = ssc.queueStream([["x"], ["y", "z"]]);
    a.print();
    b.foreachRDD(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await ssc.start();
    await clock.advance(3000);
    await ssc.stop();
    expect(rec.completed.map((i) => [i.batchTime, i.numRecords])).toEqual([
      [1000, 4],
      [2000, 2],
      [3000, 1],
    ]);
    for (const info of rec.completed) {
      expect(info.submissionTime).toBe(info.batchTime);
      expect(info.processingStartTime).toBeGreaterThanOrEqual(info.submissionTime);
      expect(info.processingEndTime).toBeGreaterThanOrEqual(info.processingStartTime as number);
      for (const d of [info.schedulingDelay, info.processingDelay, info.totalDelay]) expect(d).toBeGreaterThanOrEqual(0);
      expect(info.totalDelay).toBe((info.schedulingDelay as number) + (info.processingDelay as number));
      expect(info.outputOperationInfos.map((o) => [o.id, o.name, o.batchTime])).toEqual([
        [0, "print", info.batchTime],
        [1, "foreachRDD", info.batchTime],
      ]);
      for (const o of info.outputOperationInfos) {
        expect(o.failureReason).toBeUndefined();
        expect(o.duration).toBe((o.endTime as number) - (o.startTime as number));
      }
    }
  });

  it("lists only the output operations that ran in the batch (as Spark's job set)", async () => {
    const { clock, ssc } = context();
    const rec = recorder();
    ssc.addStreamingListener(rec.listener);
    const s = ssc.queueStream([[1], [2]]);
    s.window(2000, 2000).foreachRDD(() => undefined);
    s.foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(rec.completed.map((i) => i.outputOperationInfos.map((o) => o.id))).toEqual([[1], [0, 1]]);
    expect(rec.events).not.toContain("opStarted@1000#0");
  });

  it("a listener that throws does not stop the job or the other listeners", async () => {
    const { clock, ssc } = context();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const rec = recorder();
    ssc.addStreamingListener({
      onBatchStarted: () => {
        throw new Error("bad listener");
      },
    });
    ssc.addStreamingListener(rec.listener);
    const out: number[][] = [];
    ssc.queueStream([[1], [2]]).foreachRDD((rdd) => void out.push(rdd.collect()));
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(out).toEqual([[1], [2]]);
    expect(rec.completed.map((i) => i.batchTime)).toEqual([1000, 2000]);
    expect(errors).toHaveBeenCalledTimes(2);
  });

  it("removeStreamingListener stops delivery", async () => {
    const { clock, ssc } = context();
    const rec = recorder();
    ssc.addStreamingListener(rec.listener);
    ssc.queueStream([[1], [2]]).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(1000);
    ssc.removeStreamingListener(rec.listener);
    await clock.advance(1000);
    await ssc.stop();
    expect(rec.completed.map((i) => i.batchTime)).toEqual([1000]);
    expect(rec.events.filter((e) => e.endsWith("@2000") || e.includes("@2000#"))).toEqual([]);
  });

  it("a failed output operation reports its failureReason", async () => {
    const { clock, ssc } = context();
    const rec = recorder();
    ssc.addStreamingListener(rec.listener);
    const s = ssc.queueStream([[1], [2]]);
    s.foreachRDD(() => undefined);
    s.foreachRDD((_r, t) => {
      if (t === 2000) throw new Error("sink down");
    });
    await ssc.start();
    await expect(clock.advance(2000)).rejects.toMatchObject({ batchTime: 2000, outputOperation: 1 });
    await ssc.stop();
    const failed = rec.ops.filter((o) => o.batchTime === 2000);
    expect(failed.map((o) => [o.id, o.failureReason])).toEqual([
      [0, undefined],
      [1, "sink down"],
    ]);
    // The failed batch is not committed, so it is not reported completed.
    expect(rec.completed.map((i) => i.batchTime)).toEqual([1000]);
  });

  it("rejects a listener that is not an object (TypeError)", () => {
    const { ssc } = context();
    expect(() => ssc.addStreamingListener(undefined as never)).toThrow(TypeError);
  });
});
