import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../../errors.js";
import { CheckpointStore } from "../../../storage/checkpoint-store.js";
import { LevelKv } from "../../../storage/level-kv.js";
import { ManualClock } from "../../clock.js";
import { StreamingContext } from "../../streaming-context.js";
import { CrashBeforeCommitKv } from "../../test-support/crash-before-commit.js";
import { NATS_URL, testStream, type TestStream } from "../../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../../test-support/services.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";
import type { JetStreamMessage } from "./jetstream-options.js";

const nats = await serviceAvailable("nats");
const tempDir = tempDirs("dstream-jetstream-");
const cleanup = cleanupsAfterEach();

async function stream(options?: Parameters<typeof testStream>[0]): Promise<TestStream> {
  const s = await testStream(options);
  cleanup(() => s.remove());
  return s;
}

type Batch = { time: number; parts: JetStreamMessage<string>[][] };

/** A context reading `s` (4 partitions unless told), collecting each batch's partitions. */
async function job(s: TestStream, options: { dir?: string; kv?: (inner: LevelKv) => LevelKv | CrashBeforeCommitKv; partitions?: number; maxRatePerPartition?: number; startAt?: "earliest" | "latest"; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock(0);
  const batches: Batch[] = [];
  const setup = (): StreamingContext => {
    const ssc = new StreamingContext({
      batchDuration: 1000,
      clock,
      checkpointOptions: options.kv === undefined ? {} : { openStore: async (d) => CheckpointStore.over(options.kv!(await LevelKv.open(d))) },
    });
    const input = ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: options.partitions ?? 4, maxRatePerPartition: options.maxRatePerPartition, startAt: options.startAt });
    input.foreachRDD((rdd, time) => void batches.push({ time, parts: rdd.glom().collect() }));
    return ssc;
  };
  const ssc = options.dir === undefined ? setup() : await StreamingContext.getOrCreate(options.dir, setup);
  cleanup(() => ssc.stop().catch(() => undefined));
  await ssc.start();
  return { ssc, clock, batches };
}

const values = (b: Batch | undefined): string[][] => (b?.parts ?? []).map((p) => p.map((m) => m.value));

describe.skipIf(!nats)("ssc.jetStream", () => {
  it("reads each partition's subject in sequence order, one RDD partition per JetStream partition", async () => {
    const s = await stream();
    for (let i = 0; i < 12; i++) await s.publish(i % 4, `m${i}`, i === 5 ? "key-5" : undefined);
    await s.client.publish(`${s.stream}.other`, new TextEncoder().encode("not a partition"));
    const { clock, batches } = await job(s);
    await clock.advance(1000);
    expect(values(batches[0])).toEqual([
      ["m0", "m4", "m8"],
      ["m1", "m5", "m9"],
      ["m2", "m6", "m10"],
      ["m3", "m7", "m11"],
    ]);
    const m5 = batches[0]!.parts[1]![1]!;
    expect(m5).toMatchObject({ subject: `${s.subject}.1`, partition: 1, seq: 6, key: "key-5", value: "m5" });
    expect(Math.abs(m5.timestamp - Date.now())).toBeLessThan(60_000);
    expect(batches[0]!.parts[0]![0]!.key).toBeUndefined();
    // Nothing new: an empty batch; then only what arrived since.
    await clock.advance(1000);
    expect(values(batches[1])).toEqual([[], [], [], []]);
    await s.publish(2, "late");
    await clock.advance(1000);
    expect(values(batches[2])).toEqual([[], [], ["late"], []]);
  });

  it("maxRatePerPartition bounds each range; the rest follows in later batches", async () => {
    const s = await stream();
    for (let i = 0; i < 7; i++) await s.publish(0, `a${i}`);
    await s.publish(1, "b0");
    const { clock, batches } = await job(s, { partitions: 2, maxRatePerPartition: 3 });
    await clock.advance(3000);
    expect(batches.map(values)).toEqual([
      [["a0", "a1", "a2"], ["b0"]],
      [["a3", "a4", "a5"], []],
      [["a6"], []],
    ]);
  });

  it('startAt "latest" skips what the stream held before the first start', async () => {
    const s = await stream();
    await s.publish(0, "old");
    const { clock, batches } = await job(s, { partitions: 1, startAt: "latest" });
    await s.publish(0, "new");
    await clock.advance(1000);
    expect(values(batches[0])).toEqual([["new"]]);
  });

  it("a batch re-run after a crash reads exactly its recorded ranges; offsets resume after them", async () => {
    const s = await stream();
    const dir = await tempDir();
    for (let i = 0; i < 6; i++) await s.publish(i % 2, `m${i}`);
    let kv: CrashBeforeCommitKv | undefined;
    const first = await job(s, { dir, partitions: 2, kv: (inner) => (kv = new CrashBeforeCommitKv(inner)) });
    await first.clock.advance(1000);
    kv!.armed = true;
    await s.publish(0, "m6");
    await expect(first.clock.advance(1000)).rejects.toThrow(/Simulated crash/);
    expect(values(first.batches[1])).toEqual([["m6"], []]);
    await first.ssc.stop().catch(() => undefined);
    await kv!.inner.close();
    // Published after the crashed batch was planned: not part of its re-run.
    await s.publish(0, "m7");
    await s.publish(1, "m8");
    const second = await job(s, { dir, partitions: 2, clock: new ManualClock(first.clock.now()) });
    expect(second.ssc.recovered).toBe(true);
    expect(second.batches.map((b) => [b.time, values(b)])).toEqual([[2000, [["m6"], []]]]);
    await second.clock.advance(1000);
    expect(values(second.batches[1])).toEqual([["m7"], ["m8"]]);
  });

  it("a recorded range the stream no longer holds fails with SOURCE_OFFSET_LOST naming partition and sequences", async () => {
    const s = await stream();
    const dir = await tempDir();
    for (let i = 0; i < 4; i++) await s.publish(0, `m${i}`);
    let kv: CrashBeforeCommitKv | undefined;
    const first = await job(s, { dir, partitions: 1, kv: (inner) => (kv = new CrashBeforeCommitKv(inner)) });
    kv!.armed = true;
    await expect(first.clock.advance(1000)).rejects.toThrow(/Simulated crash/);
    await first.ssc.stop().catch(() => undefined);
    await kv!.inner.close();
    // Retention removes two of the batch's messages before the job comes back.
    await s.client.ensureStream({ name: s.stream, subjects: [`${s.stream}.>`], maxMsgs: 2 });
    const clock = new ManualClock(first.clock.now());
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.jetStream({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: 1 }).print();
      return c;
    });
    cleanup(() => ssc.stop().catch(() => undefined));
    const err = await ssc.start().then(
      () => ssc.awaitTermination().then(() => undefined, (e: unknown) => e),
      (e: unknown) => e,
    );
    expect(StreamingError.is(err)).toBe(true);
    const cause = (err as StreamingError).code === ErrorCodes.SOURCE_OFFSET_LOST ? err : (err as { cause?: unknown }).cause;
    expect(StreamingError.is(cause, ErrorCodes.SOURCE_OFFSET_LOST)).toBe(true);
    expect((cause as Error).message).toMatch(/partition 0 .*sequences 1\.\.4.*holds 2 of them/);
  });

  it("a position retention has overtaken fails the next plan with SOURCE_OFFSET_LOST", async () => {
    const s = await stream({ maxMsgs: 3 });
    const { clock, ssc } = await job(s, { partitions: 2 });
    for (let i = 0; i < 6; i++) await s.publish(i % 2, `m${i}`);
    await expect(clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.SOURCE_OFFSET_LOST });
    await expect(ssc.awaitTermination()).rejects.toThrow(/partition 0 .*up to 3 are no longer in the stream/);
  });

  it("checks its options", () => {
    const ssc = new StreamingContext({ batchDuration: 1000 });
    const base = { servers: NATS_URL, stream: "s", subject: "x", partitions: 1 };
    expect(() => ssc.jetStream({ ...base, servers: [] })).toThrow(TypeError);
    expect(() => ssc.jetStream({ ...base, stream: "a.b" })).toThrow(/stream must be/);
    expect(() => ssc.jetStream({ ...base, subject: "x.*" })).toThrow(/subject must be/);
    expect(() => ssc.jetStream({ ...base, partitions: 0 })).toThrow(RangeError);
    expect(() => ssc.jetStream({ ...base, codec: "xml" as never })).toThrow(/codec/);
    expect(() => ssc.jetStream({ ...base, startAt: "middle" as never })).toThrow(/startAt/);
    expect(() => ssc.jetStream({ ...base, maxRatePerPartition: -1 })).toThrow(/maxRatePerPartition/);
  });
});

it("a NATS server that is not there fails start() with SOURCE_UNAVAILABLE naming the URL and what to check", async () => {
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0) });
  ssc.jetStream<string>({ servers: "nats://127.0.0.1:1", stream: "s", subject: "x", partitions: 1 }).print();
  cleanup(() => ssc.stop().catch(() => undefined));
  const err = await ssc.start().catch((e: unknown) => e);
  expect(StreamingError.is(err, ErrorCodes.SOURCE_UNAVAILABLE)).toBe(true);
  expect((err as Error).message).toMatch(/^cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 \(stream s\): .*; is nats-server running there, with JetStream enabled \(-js\)\? Check the servers option$/);
});
