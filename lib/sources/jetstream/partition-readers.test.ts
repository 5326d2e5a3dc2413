import { describe, expect, it } from "vitest";
import { ManualClock } from "../../clock.js";
import { StreamingContext } from "../../streaming-context.js";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";
import { NATS_URL, testStream, type TestStream } from "../../test-support/jetstream-fixture.js";
import { prng } from "../../test-support/prng.js";
import { serviceAvailable } from "../../test-support/services.js";
import type { RawMessage } from "./jetstream-client.js";
import type { JetStreamInputDStream } from "./jetstream-input-dstream.js";
import type { JetStreamMessage } from "./jetstream-options.js";
import { PartitionReaders, planRange, readRange } from "./partition-range.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();

async function stream(): Promise<TestStream> {
  const s = await testStream();
  cleanup(() => s.remove());
  return s;
}

/** Partition readers over `s` (closed after the test). */
function readersOf(s: TestStream): PartitionReaders {
  const readers = new PartitionReaders(() => s.client, 60_000);
  cleanup(() => readers.close());
  return readers;
}

const text = (msgs: readonly RawMessage[]): string[] => msgs.map((m) => new TextDecoder().decode(m.data));

/** An input over `s` driven by hand (plan/materialize), without running the context. */
function input(s: TestStream, options: { partitions: number; maxRatePerPartition?: number }): { ssc: StreamingContext; input: JetStreamInputDStream<string> } {
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0) });
  const i = ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, ...options }) as JetStreamInputDStream<string>;
  cleanup(() => i.stopInput());
  return { ssc, input: i };
}

describe.skipIf(!nats)("jetStream partition readers", () => {
  it("many small batches read every message exactly once, in order, with messages arriving between plans; one reader per partition", async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    console.log(`partition readers small batches: seed ${seed}`);
    const random = prng(seed);
    const s = await stream();
    const partitions = 3;
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: JetStreamMessage<string>[][] = Array.from({ length: partitions }, () => []);
    ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions, maxRatePerPartition: 4 }).foreachRDD((rdd) => {
      rdd.glom().collect().forEach((part, p) => (seen[p] as JetStreamMessage<string>[]).push(...part));
    });
    cleanup(() => ssc.stop().catch(() => undefined));
    await ssc.start();
    const sent: string[][] = Array.from({ length: partitions }, () => []);
    let n = 0;
    for (let batch = 0; batch < 40; batch++) {
      const arrivals = Math.floor(random() * 9);
      for (let i = 0; i < arrivals; i++) {
        const p = Math.floor(random() * partitions);
        await s.publish(p, `m${n}`);
        (sent[p] as string[]).push(`m${n++}`);
      }
      await clock.advance(1000);
    }
    // What is left drains at 4 per partition and batch.
    const deadline = Date.now() + 60_000;
    while (seen.some((part, p) => part.length < (sent[p] as string[]).length) && Date.now() < deadline) await clock.advance(1000);
    expect(seen.map((part) => part.map((m) => m.value))).toEqual(sent);
    for (const part of seen) for (let i = 1; i < part.length; i++) expect((part[i] as JetStreamMessage<string>).seq).toBeGreaterThan((part[i - 1] as JetStreamMessage<string>).seq);
    // Long-lived: one consumer per partition, not one per batch.
    expect((await s.client.consumerNames(s.stream)).length).toBe(partitions);
    await ssc.stop();
    expect(await s.client.consumerNames(s.stream)).toEqual([]);
  });

  it("a message stored after the stream state was read is not in this batch but in the next", async () => {
    const s = await stream();
    const readers = readersOf(s);
    await s.publish(0, "a");
    await s.publish(0, "b");
    const state = await s.client.streamState(s.stream);
    // Stored after the state was read: the reader pulls it, and keeps it for the next batch.
    await s.publish(0, "late");
    const first = await planRange(s.client, s.stream, s.subject, 0, 0, state, Infinity, readers);
    expect(text(first.messages)).toEqual(["a", "b"]);
    expect(first.range).toEqual({ partition: 0, from: 0, to: state.lastSeq, count: 2 });
    const next = await s.client.streamState(s.stream);
    const second = await planRange(s.client, s.stream, s.subject, 0, first.range.to, next, Infinity, readers);
    expect(text(second.messages)).toEqual(["late"]);
    expect(second.range).toEqual({ partition: 0, from: state.lastSeq, to: next.lastSeq, count: 1 });
    const third = await planRange(s.client, s.stream, s.subject, 0, second.range.to, await s.client.streamState(s.stream), Infinity, readers);
    expect(third.range.count).toBe(0);
  });

  it("a limit cuts the range at its last message; the rest follows from there", async () => {
    const s = await stream();
    const readers = readersOf(s);
    for (let i = 0; i < 5; i++) await s.publish(1, `m${i}`);
    const state = await s.client.streamState(s.stream);
    const first = await planRange(s.client, s.stream, s.subject, 1, 0, state, 2, readers);
    expect(text(first.messages)).toEqual(["m0", "m1"]);
    expect(first.range.to).toBe(first.messages[1]?.seq);
    expect(first.pending).toBe(5);
    const second = await planRange(s.client, s.stream, s.subject, 1, first.range.to, state, 10, readers);
    expect(text(second.messages)).toEqual(["m2", "m3", "m4"]);
    expect(second.range.to).toBe(state.lastSeq);
  });

  it("a recorded plan re-run after the reader read ahead reads exactly the recorded range", async () => {
    const s = await stream();
    const { input: i } = input(s, { partitions: 2 });
    for (let k = 0; k < 4; k++) await s.publish(k % 2, `m${k}`);
    await i.startInput();
    const plan = await i.plan(1000);
    // The readers move on past the recorded ranges...
    for (let k = 4; k < 8; k++) await s.publish(k % 2, `m${k}`);
    const later = await i.plan(2000);
    expect(later.ranges.map((r) => r.count)).toEqual([2, 2]);
    // ...and a re-run of batch 1000 (nothing cached for it) reads its ranges again, exactly.
    const rdd = await i.materialize(3000, plan);
    expect(rdd.glom().collect().map((part) => part.map((m) => m.value))).toEqual([
      ["m0", "m2"],
      ["m1", "m3"],
    ]);
    expect(await readRange(s.client, s.stream, s.subject, plan.ranges[0]!).then(text)).toEqual(["m0", "m2"]);
  });

  it("a partition planned again from an older position (recovery) reads from there", async () => {
    const s = await stream();
    const readers = readersOf(s);
    for (let k = 0; k < 6; k++) await s.publish(0, `m${k}`);
    const state = await s.client.streamState(s.stream);
    const all = await planRange(s.client, s.stream, s.subject, 0, 0, state, Infinity, readers);
    expect(all.range.count).toBe(6);
    const third = (all.messages[2] as RawMessage).seq;
    const again = await planRange(s.client, s.stream, s.subject, 0, third, state, Infinity, readers);
    expect(text(again.messages)).toEqual(["m3", "m4", "m5"]);
    const fromStart = await planRange(s.client, s.stream, s.subject, 0, 0, state, 2, readers);
    expect(text(fromStart.messages)).toEqual(["m0", "m1"]);
    // The reader replaced for the recovery goes on from there.
    const rest = await planRange(s.client, s.stream, s.subject, 0, fromStart.range.to, state, Infinity, readers);
    expect(text(rest.messages)).toEqual(["m2", "m3", "m4", "m5"]);
    expect((await s.client.consumerNames(s.stream)).length).toBe(1);
  });

  it("no reader is left on the stream after stopInput, nor for a released partition", async () => {
    const s = await stream();
    const { input: i } = input(s, { partitions: 3 });
    for (let k = 0; k < 6; k++) await s.publish(k % 3, `m${k}`);
    await i.startInput();
    await i.plan(1000);
    expect((await s.client.consumerNames(s.stream)).length).toBe(3);
    await i.releasePartition(1);
    expect((await s.client.consumerNames(s.stream)).length).toBe(2);
    await i.stopInput();
    expect(await s.client.consumerNames(s.stream)).toEqual([]);
  });
});
