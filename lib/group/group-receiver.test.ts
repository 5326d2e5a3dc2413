import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { ManualClock } from "../clock.js";
import { Receiver } from "../receiver/receiver.js";
import type { ReceiverStream } from "../receiver/receiver-input-dstream.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import type { JetStreamInputDStream } from "../sources/jetstream/jetstream-input-dstream.js";
import { RABBITMQ_URL, testQueue } from "../sources/rabbitmq/test-queue.js";
import { StreamingContext } from "../streaming-context.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { removeGroup } from "../test-support/group-fixture.js";
import { NATS_URL, testStream, uniqueName } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { DEFAULT_RECEIVER_PARTITIONS, GroupReceiverInputDStream, receiverStreamName } from "./group-receiver.js";

const nats = await serviceAvailable("nats");
const rabbit = nats && (await serviceAvailable("rabbitmq"));
const cleanup = cleanupsAfterEach();

/** A receiver the test feeds by hand. */
class HandFed extends Receiver<unknown> {
  onStart(): void {}
  onStop(): void {}
}

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  /** Per batch time, the records of the batch (every partition this member holds). */
  batches: Map<number, unknown[]>;
  /** The running count per record, after the last batch (updateStateByKey: committed with the group's log). */
  totals: Map<string, number>;
  completed: number[];
  /** The clock when the member was made. */
  startedAt: number;
  /** Partitions of the input that held records in some batch. */
  partitionsSeen: Set<number>;
  /** Records the completed batches reported (BatchInfo.numRecords). */
  numRecords: number;
}

/** A one-member group reading `input(ssc)`; records are counted per batch and in keyed state. */
function member(group: string, clock: ManualClock, input: (ssc: StreamingContext) => ReceiverStream<unknown>, partitions?: number, snapshotInterval?: number): Run {
  const ssc = new StreamingContext({
    batchDuration: 1000,
    clock,
    group: { name: group, servers: NATS_URL, leaseMs: 1500, ...(partitions === undefined ? {} : { partitions }), ...(snapshotInterval === undefined ? {} : { snapshotInterval }) },
  });
  const run: Run = { ssc, clock, batches: new Map(), totals: new Map(), completed: [], startedAt: clock.now(), partitionsSeen: new Set(), numRecords: 0 };
  const records = input(ssc);
  records.foreachRDD((rdd, time) => {
    run.batches.set(time, rdd.collect());
    rdd.glom().collect().forEach((part, p) => part.length > 0 && run.partitionsSeen.add(p));
  });
  records
    .map((r): [string, number] => [String(r), 1])
    .updateStateByKey((vs: number[], total: number | undefined) => vs.reduce((a, b) => a + b, total ?? 0))
    .foreachRDD((rdd) => {
      for (const [k, n] of rdd.collect()) run.totals.set(k, n);
    });
  ssc.addStreamingListener({
    onBatchCompleted: (e) => {
      run.completed.push(e.batchInfo.batchTime);
      run.numRecords += e.batchInfo.numRecords;
    },
  });
  cleanup(() => ssc.stop().catch(() => undefined));
  return run;
}

/** Runs batches, one after the other on the manual clock, until `done()` holds (polled, with a deadline). */
async function runUntil(run: Run, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen; ${run.completed.length} batches completed, the last ${run.completed.at(-1)}`);
    // The clock moves to the next batch time once the batch before it has completed.
    const next = (run.completed.at(-1) ?? Math.floor(run.startedAt / 1000) * 1000) + 1000;
    if (run.clock.now() < next) await run.clock.advance(next - run.clock.now());
    await new Promise((r) => setTimeout(r, 5));
  }
}

const all = (run: Run): unknown[] => [...run.batches.values()].flat();
const sortedStrings = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

describe.skipIf(!nats)("receivers in a group", () => {
  it("publish their blocks to the group's stream, spread over its partitions: the batches hold exactly the stored records", async () => {
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const receiver = new HandFed();
    const run = member(group, new ManualClock(0), (ssc) => ssc.receiverStream(receiver), 3);
    const stream = run.ssc.graph.inputStreams[0] as GroupReceiverInputDStream<unknown>;
    expect(stream).toBeInstanceOf(GroupReceiverInputDStream);
    await run.ssc.start();
    expect(run.ssc.group?.owned()).toEqual([0, 1, 2]);
    expect(stream.options.partitions).toBe(3);

    // store(): cut into blocks on the clock; storeMany: one block, resolved once JetStream has it.
    const records: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      const r = { n: i, tags: ["a", i % 3 === 0 ? "b" : "c"] };
      records.push(r);
      void receiver.store(r);
      if (i % 10 === 9) await run.clock.advance(200);
    }
    const many = Array.from({ length: 25 }, (_, i) => `many-${i}`);
    await receiver.storeMany(many);
    records.push(...many);
    // Records with a source identity: a second copy (a redelivery) is dropped by JetStream.
    await receiver.storeMany(["dup-a", "dup-b", "plain"], { ids: ["a", "b", undefined] });
    await receiver.storeMany(["dup-a", "dup-b", "plain"], { ids: ["a", "b", undefined] });
    records.push("dup-a", "dup-b", "plain", "plain");
    await runUntil(run, () => all(run).length >= records.length && stream.pendingRecords === 0, "every record in a batch");
    // Two more batches: nothing comes twice.
    const last = Math.max(...run.batches.keys());
    await runUntil(run, () => run.completed.includes(last + 2000), "two more batches");
    expect(sortedStrings(all(run))).toEqual(sortedStrings(records));
    // Batches report records, not messages (a message holds a block).
    expect(run.numRecords).toBe(records.length);
    for (const r of records) expect(run.totals.get(String(r)), String(r)).toBe(String(r) === "[object Object]" ? 40 : r === "plain" ? 2 : 1);

    // Blocks went round-robin over the three partitions, a message per block (4 cut from store(),
    // 1 storeMany) and per record with an identity (2, their copies dropped), plus the 2 blocks of
    // "plain".
    expect([...run.partitionsSeen].sort()).toEqual([0, 1, 2]);
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    expect((await client.streamState(receiverStreamName(group))).lastSeq).toBe(9);
    await run.ssc.stop();
    expect(stream.receiver.isStopped()).toBe(true);
  });

  it("remove from the group's stream what every partition has read, and a restarted member goes on without a record lost or counted twice", async () => {
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    const stored: string[] = [];
    /** Stores 12 records as one block and runs batches until `run` has had `expected` records in all. */
    const round = async (run: Run, receiver: HandFed, expected: number): Promise<void> => {
      const records = Array.from({ length: 12 }, (_, i) => `r${stored.length + i}`);
      await receiver.storeMany(records);
      stored.push(...records);
      await runUntil(run, () => all(run).length >= expected, `${expected} records in batches`);
    };
    // A snapshot after every commit: each records the partition's positions and purges.
    const first = member(group, new ManualClock(0), (ssc) => ssc.receiverStream(new HandFed()), 3, 1);
    const firstReceiver = (first.ssc.graph.inputStreams[0] as GroupReceiverInputDStream<unknown>).receiver as HandFed;
    await first.ssc.start();
    for (let r = 1; r <= 3; r++) await round(first, firstReceiver, r * 12);
    // Two more batches: every partition commits (and snapshots) after the last records.
    const last = Math.max(...first.completed);
    await runUntil(first, () => first.completed.includes(last + 2000), "two more batches");
    const state = await client.streamState(receiverStreamName(group));
    // 3 storeMany blocks went out as 3 messages; every partition read past them, so they are gone.
    expect(state.lastSeq).toBe(3);
    expect(state.firstSeq).toBe(4);
    expect(sortedStrings(all(first))).toEqual(sortedStrings(stored));
    await first.ssc.stop();

    // A new member (a restart) plans from the recorded positions: the stream's first sequence is
    // past every message, and that is not taken for lost messages.
    const second = member(group, new ManualClock(first.clock.now()), (ssc) => ssc.receiverStream(new HandFed()), 3, 1);
    const secondReceiver = (second.ssc.graph.inputStreams[0] as GroupReceiverInputDStream<unknown>).receiver as HandFed;
    await second.ssc.start();
    await round(second, secondReceiver, 12);
    expect(sortedStrings([...all(first), ...all(second)])).toEqual(sortedStrings(stored));
    for (const r of stored) expect(second.totals.get(r) ?? first.totals.get(r), r).toBe(1);
  });

  it("take the group's partition count from its jetStream inputs, else group.partitions, else 4; refuse MQTT and ZeroMQ SUB", async () => {
    const group = uniqueName("g");
    const clock = new ManualClock(0);
    const plain = new StreamingContext({ batchDuration: 1000, clock, group: { name: group, servers: NATS_URL } });
    const alone = plain.receiverStream(new HandFed()) as unknown as GroupReceiverInputDStream<unknown>;
    expect(alone.options.partitions).toBe(DEFAULT_RECEIVER_PARTITIONS);
    plain.jetStream({ servers: NATS_URL, stream: "S", subject: "s", partitions: 6 });
    expect(alone.options.partitions).toBe(6);
    expect(alone.options.subject).toBe(`dstream.group.${group}.recv.${alone.streamId}`);
    const explicit = new StreamingContext({ batchDuration: 1000, clock, group: { name: group, servers: NATS_URL, partitions: 2 } });
    expect((explicit.receiverStream(new HandFed()) as unknown as GroupReceiverInputDStream<unknown>).options.partitions).toBe(2);
    expect(() => new StreamingContext({ batchDuration: 1000, group: { name: group, servers: NATS_URL, partitions: 0 } })).toThrow(RangeError);
    const refused = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const mqtt = refused(() => explicit.mqttStream({ url: "mqtt://127.0.0.1:1883", topics: ["t"], clientId: "c", qos: 1 }));
    expect(StreamingError.is(mqtt, ErrorCodes.GROUP_UNSUPPORTED), String(mqtt)).toBe(true);
    const sub = refused(() => explicit.zeroMqStream({ endpoint: "tcp://127.0.0.1:5555" }));
    expect(StreamingError.is(sub, ErrorCodes.GROUP_UNSUPPORTED), String(sub)).toBe(true);
    expect(explicit.zeroMqStream({ endpoint: "tcp://127.0.0.1:5555", type: "pull" })).toBeInstanceOf(GroupReceiverInputDStream);
    await plain.stop();
    await explicit.stop();
  });
});

describe.skipIf(!nats)("a jetStream input in a group", () => {
  it("materializes the recorded plan, not a plan of its own that another member's fenced", async () => {
    const s = await testStream();
    cleanup(() => s.remove());
    for (let i = 0; i < 5; i++) await s.publish(0, `r${i}`);
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), group: { name: uniqueName("g"), servers: NATS_URL } });
    cleanup(() => ssc.stop());
    const input = ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: 1 }) as JetStreamInputDStream<string>;
    cleanup(() => input.stopInput());
    // This member read all five for batch 1000; the partition's log holds another member's plan of two.
    expect(await input.planGroupPartition(1000, 0, 0)).toMatchObject({ from: 0, count: 5 });
    const recorded = { partition: 0, from: 0, to: 2, count: 2 };
    const rdd = await input.materialize(1000, input.groupPlan([recorded]));
    expect(rdd.collect().map((m) => m.value)).toEqual(["r0", "r1"]);
  });
});

describe.skipIf(!rabbit)("a RabbitMQ receiver in a group", () => {
  it("counts every message of a queue once, across a stop mid-stream and a restart, and drops a redelivered message-id", async () => {
    const queue = await testQueue("dstream-group-rx");
    cleanup(() => queue.remove());
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const N = 3000;
    const bodies = Array.from({ length: N }, (_, i) => `m${i}`);
    await queue.publish(bodies, { messageIds: bodies.map((b) => `id-${b}`) });
    const clock = new ManualClock(0);
    // maxRate on the manual clock: a batch second takes at most 400 messages, so the stop comes mid-stream.
    const input = (ssc: StreamingContext): ReceiverStream<unknown> => ssc.rabbitMqStream({ url: RABBITMQ_URL, queue: queue.name, prefetch: 100, maxRate: 400 });

    const first = member(group, clock, input);
    await first.ssc.start();
    // Stopped (not gracefully) while messages are still coming in.
    await runUntil(first, () => first.totals.size >= N / 4, "a quarter of the messages");
    expect(first.totals.size).toBeLessThan(N);
    await first.ssc.stop();

    // What RabbitMQ redelivers after a member died between JetStream's acknowledgement and its own:
    // the same message-ids again (here published twice), dropped by the stream's duplicate window.
    await queue.publish(bodies.slice(0, 200), { messageIds: bodies.slice(0, 200).map((b) => `id-${b}`) });

    const second = member(group, clock, input);
    await second.ssc.start();
    await runUntil(second, () => second.totals.size >= N && (second.ssc.graph.inputStreams[0] as GroupReceiverInputDStream<unknown>).pendingRecords === 0, "every message counted");
    const last = Math.max(...second.batches.keys());
    await runUntil(second, () => second.completed.includes(last + 2000), "two more batches");
    // The keyed state is the group's (restored from its log): each message counted exactly once.
    const wrong = bodies.filter((b) => second.totals.get(b) !== 1);
    expect(wrong.slice(0, 10), `${wrong.length} messages not counted exactly once`).toEqual([]);
    expect(second.totals.size).toBe(N);
    expect([...first.batches.values(), ...second.batches.values()].flat().length).toBeGreaterThanOrEqual(N);
    await second.ssc.stop();
    expect(await queue.ready()).toBe(0);
  });
});
