import { describe, expect, it } from "vitest";
import { ErrorCodes, JobError, StreamingError } from "../errors.js";
import { openCheckpointStore } from "../storage/checkpoint-store.js";
import { ManualClock } from "./clock.js";
import { InputDStream } from "./dstream/internal.js";
import { RDD } from "./rdd/rdd.js";
import { StreamingContext } from "./streaming-context.js";
import { tempDirs } from "./test-support/temp-dirs.js";
import { TestReceiver } from "./test-support/test-receiver.js";

const tempDir = tempDirs("dstream-failed-start-");

/** An input whose start fails, as a source that cannot connect would. */
class UnreachableInput extends InputDStream<number, null> {
  plan(): null {
    return null;
  }
  materialize(): RDD<number> {
    return RDD.empty<number>();
  }
  recordCount(): number {
    return 0;
  }
  override async startInput(): Promise<void> {
    throw new StreamingError(ErrorCodes.SOURCE_UNAVAILABLE, "connection refused");
  }
}

/** The checkpoint in `dir` opens again: the failed context released its lock (else DSTREAM_STORAGE_LOCKED). */
async function lockIsFree(dir: string): Promise<void> {
  const store = await openCheckpointStore(dir);
  await store.close();
}

describe("a start() that fails leaves the context stopped (as Spark does)", () => {
  it("an invalid graph: stopped, and the checkpoint lock getOrCreate took is released", async () => {
    const dir = await tempDir();
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
      s.queueStream<number>([]).map((x) => x); // no output operation
      return s;
    });
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.GRAPH_INVALID });
    expect(ssc.getState()).toBe("stopped");
    expect(StreamingContext.getActive()).toBeUndefined();
    await expect(ssc.awaitTermination()).rejects.toMatchObject({ code: ErrorCodes.GRAPH_INVALID });
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.CONTEXT_STATE });
    await lockIsFree(dir);
  });

  it("a stateful operator without a checkpoint directory: stopped", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    ssc
      .queueStream<[string, number]>([])
      .updateStateByKey<string, number, number>((vs, s) => (s ?? 0) + vs.length)
      .print();
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.CHECKPOINT_REQUIRED });
    expect(ssc.getState()).toBe("stopped");
  });

  it("an input that cannot start: the receivers already started are stopped again, the lock released", async () => {
    const dir = await tempDir();
    const receiver = new TestReceiver<number>();
    const never = new TestReceiver<number>();
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
      s.receiverStream(receiver).foreachRDD(() => undefined);
      new UnreachableInput(s).foreachRDD(() => undefined);
      s.receiverStream(never).foreachRDD(() => undefined);
      return s;
    });
    await expect(ssc.start()).rejects.toMatchObject({ code: ErrorCodes.SOURCE_UNAVAILABLE, message: "connection refused" });
    expect(ssc.getState()).toBe("stopped");
    expect([receiver.starts, receiver.stops, receiver.isStopped()]).toEqual([1, 1, true]);
    // A receiver whose onStart never ran has nothing to release: its onStop is not called (Spark's rule).
    expect([never.starts, never.stops]).toEqual([0, 0]);
    await lockIsFree(dir);
  });

  it("a batch re-run at start that fails: start() rejects with the context already stopped", async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    const build = (): StreamingContext => {
      const s = new StreamingContext({ batchDuration: 1000, clock });
      s.queueStream([[1]]).foreachRDD(() => {
        throw new Error("sink down");
      });
      return s;
    };
    const first = await StreamingContext.getOrCreate(dir, build);
    await first.start();
    await expect(clock.advance(1000)).rejects.toBeInstanceOf(JobError);
    await first.awaitTermination().catch(() => undefined);
    // Batch 1000 was planned and never committed: the next start re-runs it, and it fails again.
    const second = await StreamingContext.getOrCreate(dir, build);
    const err = await second.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: ErrorCodes.JOB_FAILED, batchTime: 1000 });
    expect(second.getState()).toBe("stopped");
    expect(StreamingContext.getActive()).toBeUndefined();
    await lockIsFree(dir);
  });
});
