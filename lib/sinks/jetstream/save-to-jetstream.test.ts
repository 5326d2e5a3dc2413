import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../../errors.js";
import { CheckpointStore } from "../../../storage/checkpoint-store.js";
import { LevelKv } from "../../../storage/level-kv.js";
import { ManualClock } from "../../clock.js";
import { StreamingContext } from "../../streaming-context.js";
import { CrashBeforeCommitKv } from "../../test-support/crash-before-commit.js";
import { NATS_URL, testStream, uniqueName, type TestStream } from "../../test-support/jetstream-fixture.js";
import { oneMemberGroup, removeGroup } from "../../test-support/group-fixture.js";
import { GROUP_META_KEY, groupBucketName } from "../../group/coordinator.js";
import { encodeValue } from "../../../storage/codec.js";
import { serviceAvailable } from "../../test-support/services.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import { dropJobId } from "../../test-support/legacy-checkpoint.js";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";
import type { JetStreamSinkOptions } from "./jetstream-sink-options.js";

const nats = await serviceAvailable("nats");
const tempDir = tempDirs("dstream-js-sink-");
const cleanup = cleanupsAfterEach();

async function stream(options?: Parameters<typeof testStream>[0]): Promise<TestStream> {
  const s = await testStream(options);
  cleanup(() => s.remove());
  return s;
}

async function job<T>(batches: T[][], options: Omit<JetStreamSinkOptions<T>, "servers">, ctx: { dir?: string; kv?: (inner: LevelKv) => LevelKv | CrashBeforeCommitKv; clock?: ManualClock } = {}) {
  const clock = ctx.clock ?? new ManualClock(0);
  const setup = (): StreamingContext => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: ctx.kv === undefined ? {} : { openStore: async (d) => CheckpointStore.over(ctx.kv!(await LevelKv.open(d))) } });
    ssc.queueStream(batches.map((b) => [...b])).saveToJetStream({ servers: NATS_URL, ...options });
    return ssc;
  };
  const ssc = ctx.dir === undefined ? setup() : await StreamingContext.getOrCreate(ctx.dir, setup);
  cleanup(() => ssc.stop().catch(() => undefined));
  await ssc.start();
  return { ssc, clock };
}

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

/** Polls `cond` (a group runs its batches on its own loop) until it holds, with a deadline. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.skipIf(!nats)("saveToJetStream", () => {
  it("publishes every record with Nats-Msg-Id `${jobId}:${sinkId}:${batchTime}:${index}`, subject and key per record", async () => {
    const s = await stream();
    const out = `${s.stream}.out`;
    const { clock, ssc } = await job(
      [[{ w: "a", n: 1 }, { w: "b", n: 2 }], [], [{ w: "a", n: 3 }]],
      { subject: (r) => `${out}.${r.w}`, codec: "json", key: (r) => r.w, name: "totals" },
    );
    await clock.advance(3000);
    const a = await s.read(`${out}.a`);
    const b = await s.read(`${out}.b`);
    // Without a checkpoint the job id is the context's own.
    const id = ssc.jobId;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(a.map((m) => [text(m.data), m.headers?.["Nats-Msg-Id"], m.headers?.["Dstream-Key"]])).toEqual([
      ['{"w":"a","n":1}', `${id}:totals:1000:0`, "a"],
      ['{"w":"a","n":3}', `${id}:totals:3000:0`, "a"],
    ]);
    expect(b.map((m) => m.headers?.["Nats-Msg-Id"])).toEqual([`${id}:totals:1000:1`]);
  });

  it("a batch re-run after a crash before dstream's commit is deduplicated by the stream", async () => {
    const s = await stream();
    const out = `${s.stream}.out`;
    const dir = await tempDir();
    const input = [["a", "b"], ["c", "d", "e"], ["f"]];
    let kv: CrashBeforeCommitKv | undefined;
    const first = await job(input, { subject: out }, { dir, kv: (inner) => (kv = new CrashBeforeCommitKv(inner)) });
    await first.clock.advance(1000);
    kv!.armed = true;
    await expect(first.clock.advance(1000)).rejects.toThrow(/Simulated crash/);
    expect((await s.read(out)).map((m) => text(m.data))).toEqual(["a", "b", "c", "d", "e"]);
    await first.ssc.stop().catch(() => undefined);
    await kv!.inner.close();
    const second = await job(input.slice(2), { subject: out }, { dir, clock: new ManualClock(first.clock.now()) });
    expect(second.ssc.recovered).toBe(true);
    await second.clock.advance(1000);
    const got = await s.read(out);
    expect(got.map((m) => text(m.data))).toEqual(["a", "b", "c", "d", "e", "f"]);
    // Unnamed, the sink id is the output operation's creation-order id (queueStream is 0, the sink 1);
    // the job id is the checkpoint's, the same after the restart.
    const id = second.ssc.jobId;
    expect(id).toBe(first.ssc.jobId);
    expect(got.map((m) => m.headers?.["Nats-Msg-Id"])).toEqual([`${id}:1:1000:0`, `${id}:1:1000:1`, `${id}:1:2000:0`, `${id}:1:2000:1`, `${id}:1:2000:2`, `${id}:1:3000:0`]);
  });

  it("two jobs publishing under the same sink id and batch times both have their messages stored (before: the second job's were dropped as duplicates)", async () => {
    const s = await stream();
    const out = `${s.stream}.out`;
    const first = await job([["a", "b"]], { subject: out, name: "words" }, { dir: await tempDir() });
    await first.clock.advance(1000);
    await first.ssc.stop();
    const second = await job([["c", "d"]], { subject: out, name: "words" }, { dir: await tempDir() });
    await second.clock.advance(1000);
    await second.ssc.stop();
    const got = await s.read(out);
    expect(got.map((m) => text(m.data))).toEqual(["a", "b", "c", "d"]);
    const [one, two] = [first.ssc.jobId, second.ssc.jobId];
    expect(one).not.toBe(two);
    expect(got.map((m) => m.headers?.["Nats-Msg-Id"])).toEqual([`${one}:words:1000:0`, `${one}:words:1000:1`, `${two}:words:1000:0`, `${two}:words:1000:1`]);
  });

  it("a job whose checkpoint predates job ids keeps publishing the message ids it always did, `${sinkId}:${batchTime}:${index}`", async () => {
    const s = await stream();
    const out = `${s.stream}.out`;
    const dir = await tempDir();
    const first = await job([["a"]], { subject: out, name: "words" }, { dir });
    await first.clock.advance(1000);
    await first.ssc.stop();
    await dropJobId(dir);
    const second = await job([["b"]], { subject: out, name: "words" }, { dir, clock: new ManualClock(1000) });
    expect(second.ssc.recovered).toBe(true);
    expect(second.ssc.jobId).toBeUndefined();
    await second.clock.advance(1000);
    expect((await s.read(out)).map((m) => [text(m.data), m.headers?.["Nats-Msg-Id"]])).toEqual([
      ["a", `${first.ssc.jobId}:words:1000:0`],
      ["b", "words:2000:0"],
    ]);
  });

  it("in a group, every member publishes under the group's job id; a group created before job ids keeps the ids it always published", async () => {
    const input = await stream();
    const target = await stream();
    const out = `${target.stream}.out`;
    await input.publish(0, "a");
    for (const legacy of [false, true]) {
      const group = uniqueName("g");
      cleanup(() => removeGroup(group));
      const { ssc, clock, completed } = oneMemberGroup(input, group, (values) => values.name("out").saveToJetStream({ servers: NATS_URL, subject: out }));
      cleanup(() => ssc.stop().catch(() => undefined));
      if (legacy) {
        // The group's meta as builds before job ids wrote it.
        const bucket = await input.client.kvBucket(groupBucketName(group));
        await bucket.create(GROUP_META_KEY, encodeValue({ partitions: 1, zeroTime: 0, batchDuration: 1000, fingerprint: ssc.graph.fingerprint(), hash: "dstream-hashKey-v1" }));
      }
      await ssc.start();
      await until("the member to hold partition 0", () => ssc.group!.owned().length === 1);
      await clock.advance(1000);
      await until("batch 1000", () => completed.includes(1000));
      await ssc.stop();
      if (legacy) expect(ssc.jobId).toBeUndefined();
      else expect(ssc.jobId).toMatch(new RegExp(`^group:${group}:[0-9a-f]{16}$`));
    }
    const got = await target.read(out);
    expect(got.map((m) => text(m.data))).toEqual(["a", "a"]);
    expect(got[0]!.headers?.["Nats-Msg-Id"]).toMatch(/^group:g_[0-9a-f]+:[0-9a-f]{16}:out\.saveToJetStream\/p0:1000:0$/);
    expect(got[1]!.headers?.["Nats-Msg-Id"]).toBe("out.saveToJetStream/p0:1000:0");
  });

  it("refuses a stream whose duplicate window is shorter than recoveryWindow, saying what to set", async () => {
    const s = await stream({ duplicateWindowMs: 10_000 });
    const out = `${s.stream}.out`;
    // Checked at the first batch, even an empty one, before anything is published.
    const { clock, ssc } = await job([[], ["a"]], { subject: out, recoveryWindow: 60_000 });
    await expect(clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED });
    const err = (await ssc.awaitTermination().catch((e: unknown) => e)) as Error;
    expect(StreamingError.is(err.cause, ErrorCodes.SINK_FAILED)).toBe(true);
    expect(err.message).toMatch(new RegExp(`deduplicates message ids for 10000 ms.*duplicate_window to at least 60000 ms.*${s.stream}`));
    expect(await s.read(out)).toEqual([]);
  });

  it("fails the batch with SINK_FAILED when no stream stores the subject", async () => {
    const { clock, ssc } = await job([["a"]], { subject: "dstream_no_such_stream_subject.x" });
    await expect(clock.advance(1000)).rejects.toThrow(/no JetStream stream stores subject/);
    await expect(ssc.awaitTermination()).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED });
  });

  it("checks its options", () => {
    const ssc = new StreamingContext({ batchDuration: 1000 });
    const s = ssc.queueStream<string>([]);
    expect(() => s.saveToJetStream({ servers: "", subject: "x" })).toThrow(/servers/);
    expect(() => s.saveToJetStream({ servers: NATS_URL, subject: "x.>" })).toThrow(/subject must be/);
    expect(() => s.saveToJetStream({ servers: NATS_URL, subject: 3 as never })).toThrow(/subject must be a string or a function/);
    expect(() => s.saveToJetStream({ servers: NATS_URL, subject: "x", recoveryWindow: 0 })).toThrow(RangeError);
    expect(() => s.saveToJetStream({ servers: NATS_URL, subject: "x", codec: "yaml" as never })).toThrow(/codec/);
  });
});
