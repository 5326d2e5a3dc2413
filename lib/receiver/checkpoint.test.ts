import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { TestReceiver } from "../test-support/test-receiver.js";

let dir: string;
let ssc: StreamingContext | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dstream-receiver-"));
});
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** One run of the job on the checkpoint in `dir` (LevelDB), as a new process would start it. */
async function run(clock: ManualClock) {
  const receiver = new TestReceiver<string>();
  const batches: [number, string[]][] = [];
  ssc = await StreamingContext.getOrCreate(dir, () => {
    const ctx = new StreamingContext({ batchDuration: 1000, clock });
    ctx.receiverStream(receiver).foreachRDD((rdd, t) => void batches.push([t, rdd.collect()]));
    return ctx;
  });
  await ssc.start();
  return { receiver, batches, ctx: ssc };
}

describe("receivers with a checkpoint directory", () => {
  it("restores lastStoredOffset and plans blocks stored after the last batch into the next run's first batch", async () => {
    const clock = new ManualClock();
    const first = await run(clock);
    await first.receiver.storeMany(["a", "b"], { offset: 2 });
    await clock.advance(1000);
    await first.receiver.storeMany(["c"], { offset: 3 });
    // Stored and durable, but no batch planned it before the job went down.
    await first.ctx.stop();
    expect(first.batches).toEqual([[1000, ["a", "b"]]]);

    const second = await run(clock);
    expect(second.ctx.recovered).toBe(true);
    expect(second.receiver.offsetsAtStart).toEqual([3]);
    await clock.advance(1000);
    expect(second.batches).toEqual([[2000, ["c"]]]);
    await second.receiver.storeMany(["d"], { offset: 4 });
    await clock.advance(1000);
    expect(second.batches.at(-1)).toEqual([3000, ["d"]]);
    expect(second.receiver.lastStoredOffset()).toBe(4);
  });
});
