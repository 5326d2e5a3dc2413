import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../clock.js";
import type { ReceiverStream } from "../../receiver/receiver-input-dstream.js";
import { StreamingContext } from "../../streaming-context.js";
import { serviceAvailable } from "../../test-support/services.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import type { Delivery } from "../acking-batcher.js";
import { RabbitMqReceiver, identityOf, type Session } from "./rabbitmq-receiver.js";
import { RABBITMQ_URL, testQueue, type TestQueue } from "./test-queue.js";

const tempDir = tempDirs("dstream-rabbitmq-");
const up = await serviceAvailable("rabbitmq");
const WAIT = { timeout: 10_000, interval: 10 };

let ssc: StreamingContext | undefined;
let queue: TestQueue | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await queue?.remove();
  queue = undefined;
});

/** Stores like the real receiver and never acknowledges: a process that dies right after the write. */
class NoAckReceiver extends RabbitMqReceiver<string> {
  protected override settle(_session: Session, _batch: readonly Delivery<string, unknown>[]): void {}
}

/** Records the stream's receiver made durable. */
function stored(stream: { receiver: unknown }): number {
  return (stream.receiver as RabbitMqReceiver<unknown>).counters.stored;
}

function context(dir: string | undefined, clock: ManualClock): StreamingContext {
  return new StreamingContext({ batchDuration: 1000, clock, ...(dir === undefined ? {} : { checkpointDir: dir }) });
}

describe("rabbitMqStream options", () => {
  it("names the option that is wrong", () => {
    const s = context(undefined, new ManualClock());
    expect(() => s.rabbitMqStream({ url: "http://x", queue: "q" })).toThrow(/url must be a amqp:\/\/ or amqps:\/\/ URL; got "http:\/\/x"/);
    expect(() => s.rabbitMqStream({ url: RABBITMQ_URL, queue: "" })).toThrow(/queue must be the name of an existing queue/);
    expect(() => s.rabbitMqStream({ url: RABBITMQ_URL, queue: "q", prefetch: 0 })).toThrow(RangeError);
    expect(() => s.rabbitMqStream({ url: RABBITMQ_URL, queue: "q", codec: "xml" as "json" })).toThrow(/codec must be/);
  });

  it("identifies a message by its message-id, else by a hash of its body", () => {
    const body = Buffer.from("same");
    expect(identityOf({ content: body, properties: { messageId: "m-1" } })).toBe("id:m-1");
    expect(identityOf({ content: body, properties: {} })).toBe(identityOf({ content: Buffer.from("same"), properties: { messageId: "" } }));
    expect(identityOf({ content: body, properties: {} })).not.toBe(identityOf({ content: Buffer.from("other"), properties: {} }));
  });
});

describe.skipIf(!up)("rabbitMqStream against RabbitMQ", () => {
  it("stores messages in blocks and acknowledges them once durable: the queue is empty after the stop", async () => {
    queue = await testQueue("dstream-rx");
    const clock = new ManualClock();
    ssc = context(await tempDir(), clock);
    const stream = ssc.rabbitMqStream<{ n: number }>({ url: RABBITMQ_URL, queue: queue.name, codec: "json", prefetch: 50 });
    const batches: number[][] = [];
    stream.foreachRDD((rdd) => void batches.push(rdd.collect().map((r) => r.n)));
    await ssc.start();
    await queue.publish(Array.from({ length: 200 }, (_, n) => JSON.stringify({ n })));
    await vi.waitFor(() => expect(stored(stream)).toBe(200), WAIT);
    await clock.advance(1000);
    expect(batches).toEqual([Array.from({ length: 200 }, (_, n) => n)]);
    await ssc.stop();
    ssc = undefined;
    expect(await queue.ready()).toBe(0);
  });

  it("drops redeliveries of messages the WAL holds, with or without message ids, counting identical bodies", async () => {
    queue = await testQueue("dstream-rx-dup");
    const dir = await tempDir();
    const clock = new ManualClock();
    // First process: stores everything, acknowledges nothing, then goes away.
    ssc = context(dir, clock);
    const first = ssc.receiverStream(new NoAckReceiver({ url: RABBITMQ_URL, queue: queue.name }));
    const firstBatches: string[][] = [];
    first.foreachRDD((rdd) => void firstBatches.push(rdd.collect()));
    await ssc.start();
    const bodies = ["a", "b", "same", "same", "c"];
    await queue.publish(bodies, { messageIds: ["id-a", "id-b", undefined, undefined, undefined] });
    await vi.waitFor(() => expect(stored(first)).toBe(5), WAIT);
    await clock.advance(1000);
    expect(firstBatches).toEqual([bodies]);
    await ssc.stop();
    // The messages went back to the queue, marked redelivered.
    expect(await queue.ready()).toBe(5);

    // Second process on the same checkpoint: the redeliveries are acknowledged and dropped; a new
    // "same" (a third one) is stored: the window counts identical bodies.
    const secondBatches: string[][] = [];
    let second!: ReceiverStream<string>;
    ssc = await StreamingContext.getOrCreate(dir, () => {
      const s = context(undefined, clock);
      second = s.rabbitMqStream({ url: RABBITMQ_URL, queue: queue!.name });
      second.foreachRDD((rdd) => void secondBatches.push(rdd.collect()));
      return s;
    });
    const receiver = second.receiver as RabbitMqReceiver;
    await ssc.start();
    await vi.waitFor(async () => expect(await queue!.ready()).toBe(0), WAIT);
    await queue.publish(["d", "same"]);
    await vi.waitFor(() => expect(stored(second)).toBe(2), WAIT);
    expect((second.receiver as RabbitMqReceiver).counters.duplicates).toBe(5);
    await clock.advance(1000);
    expect(secondBatches.flat()).toEqual(["d", "same"]);
    // Held now: this connection's 5 re-acknowledged duplicates and 2 new (prefetch 1000 prunes none).
    expect(receiver.heldIdentities).toBe(7);
    await ssc.stop();
    ssc = undefined;
    expect(await queue.ready()).toBe(0);
  });

  it("reports a message the codec cannot decode and rejects it without requeue", async () => {
    queue = await testQueue("dstream-rx-bad");
    const clock = new ManualClock();
    ssc = context(await tempDir(), clock);
    const stream = ssc.rabbitMqStream<number>({ url: RABBITMQ_URL, queue: queue.name, codec: "json" });
    const errors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (e) => void errors.push(e.receiverInfo.lastErrorMessage ?? "") });
    const got: number[] = [];
    stream.foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();
    await queue.publish(["1", "{not json", "3"]);
    await vi.waitFor(() => expect(stored(stream)).toBe(2), WAIT);
    await clock.advance(1000);
    expect(got).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/is not json; rejected without requeue/);
    await ssc.stop();
    ssc = undefined;
    expect(await queue.ready()).toBe(0);
  });

  it("keeps unstored messages unacknowledged while maxRate holds the block back", async () => {
    queue = await testQueue("dstream-rx-rate");
    const clock = new ManualClock();
    ssc = context(await tempDir(), clock);
    const stream = ssc.rabbitMqStream({ url: RABBITMQ_URL, queue: queue.name, maxRate: 5, prefetch: 100 });
    const got: string[] = [];
    stream.foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();
    await queue.publish(Array.from({ length: 40 }, (_, i) => String(i)));
    // The first block fits in the bucket; the next waits on the (manual) clock, unacknowledged.
    await vi.waitFor(() => expect(stored(stream)).toBeGreaterThan(0), WAIT);
    const n = stored(stream);
    expect(n).toBeLessThanOrEqual(5);
    await ssc.stop();
    ssc = undefined;
    expect(await queue.ready()).toBe(40 - n);
  });

  it("restarts with backoff when the queue is missing, and reports it", async () => {
    const clock = new ManualClock();
    ssc = context(undefined, clock);
    ssc.rabbitMqStream({ url: RABBITMQ_URL, queue: `dstream-missing-${process.pid}-${Date.now()}`, reconnectDelay: 100 }).foreachRDD(() => undefined);
    const errors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (e) => void errors.push(`${e.receiverInfo.lastErrorMessage} ${e.receiverInfo.lastError ?? ""}`) });
    await ssc.start();
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    expect(errors[0]).toMatch(/Cannot consume RabbitMQ queue dstream-missing-.* at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672: channel closed; reconnecting[\s\S]*NOT_FOUND/);
    // The retry is due 100 ms after the failure, on the manual clock.
    await vi.waitFor(async () => {
      await clock.advance(100);
      expect(errors).toHaveLength(2);
    }, WAIT);
  });
});
