import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../clock.js";
import type { ReceiverStream } from "../../receiver/receiver-input-dstream.js";
import { StreamingContext } from "../../streaming-context.js";
import { serviceAvailable } from "../../test-support/services.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import type { Delivery } from "../acking-batcher.js";
import { MqttReceiver, type Session } from "./mqtt-receiver.js";
import { MQTT_URL, testTopic, type TestTopic } from "./test-broker.js";

const tempDir = tempDirs("dstream-mqtt-");
const up = await serviceAvailable("mosquitto");
const WAIT = { timeout: 10_000, interval: 10 };

let ssc: StreamingContext | undefined;
let topic: TestTopic | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await topic?.remove();
  topic = undefined;
});

/** Stores like the real receiver and never acknowledges: a process that dies right after the write. */
class NoAckReceiver extends MqttReceiver<string> {
  protected override settle(_session: Session, _batch: readonly Delivery<string, number>[]): void {}
}

function stored(stream: { receiver: unknown }): number {
  return (stream.receiver as MqttReceiver<unknown>).counters.stored;
}

/** A context on `dir` with one MQTT stream whose batches go to `out`. */
async function job(dir: string, clock: ManualClock, receiver: MqttReceiver<string>, out: string[][]): Promise<{ ssc: StreamingContext; stream: ReceiverStream<string> }> {
  let stream!: ReceiverStream<string>;
  const s = await StreamingContext.getOrCreate(dir, () => {
    const c = new StreamingContext({ batchDuration: 1000, clock });
    stream = c.receiverStream(receiver);
    stream.foreachRDD((rdd) => void out.push(rdd.collect()));
    return c;
  });
  return { ssc: s, stream };
}

describe("mqttStream options", () => {
  it("names the option that is wrong", () => {
    const s = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => s.mqttStream({ url: "amqp://x", topics: ["a"], clientId: "c" })).toThrow(/url must be a mqtt:\/\/ or/);
    expect(() => s.mqttStream({ url: MQTT_URL, topics: [], clientId: "c" })).toThrow(/topics must be a non-empty array/);
    expect(() => s.mqttStream({ url: MQTT_URL, topics: ["a"], clientId: "" })).toThrow(/clientId must be a non-empty string/);
    expect(() => s.mqttStream({ url: MQTT_URL, topics: ["a"], clientId: "c", qos: 3 as 1 })).toThrow(/qos must be 0, 1 or 2; got 3/);
    expect(() => s.mqttStream({ url: MQTT_URL, topics: ["a"], clientId: "c", receiveMaximum: 0 })).toThrow(RangeError);
  });
});

describe.skipIf(!up)("mqttStream against Mosquitto", () => {
  it("stores QoS 1 messages many to a block and acknowledges them once durable", async () => {
    topic = await testTopic("rx");
    await topic.createSession();
    await topic.publish(Array.from({ length: 500 }, (_, i) => String(i)));
    const clock = new ManualClock();
    const out: string[][] = [];
    const dir = await tempDir();
    const receiver = new MqttReceiver({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId });
    const j = await job(dir, clock, receiver, out);
    ssc = j.ssc;
    await ssc.start();
    await vi.waitFor(() => expect(stored(j.stream)).toBe(500), WAIT);
    // Acknowledgements are held per block, not per message: the messages share blocks.
    const blocks = j.stream.pendingRecords;
    expect(blocks).toBeLessThan(250);
    // A PINGRESP proves the broker processed the PUBACKs: no identity stays held.
    await vi.waitFor(() => expect(receiver.heldIdentities).toBe(0), WAIT);
    await clock.advance(1000);
    expect(out.flat()).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    await ssc.stop();

    // Everything was acknowledged: a new run on the checkpoint gets only what is published next.
    const again = new MqttReceiver({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId });
    const j2 = await job(dir, clock, again, out);
    ssc = j2.ssc;
    await ssc.start();
    await topic.publish(["after"]);
    await vi.waitFor(() => expect(stored(j2.stream)).toBe(1), WAIT);
    await clock.advance(1000);
    expect(out.at(-1)).toEqual(["after"]);
    expect(again.counters.duplicates).toBe(0);
  });

  it.each([1, 2] as const)("QoS %i: drops the DUP resends of messages the WAL holds after a crash before the acknowledgements", async (qos) => {
    topic = await testTopic("rx-dup");
    await topic.createSession(qos);
    const dir = await tempDir();
    const clock = new ManualClock();
    const out: string[][] = [];
    const first = await job(dir, clock, new NoAckReceiver({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId, qos }), out);
    ssc = first.ssc;
    await ssc.start();
    await topic.publish(["a", "b", "c", "same", "same"], qos);
    await vi.waitFor(() => expect(stored(first.stream)).toBe(5), WAIT);
    await clock.advance(1000);
    await ssc.stop();

    const receiver = new MqttReceiver({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId, qos });
    const second = await job(dir, clock, receiver, out);
    ssc = second.ssc;
    await ssc.start();
    await vi.waitFor(() => expect(receiver.counters.duplicates).toBe(5), WAIT);
    await topic.publish(["d", "same"], qos);
    await vi.waitFor(() => expect(stored(second.stream)).toBe(2), WAIT);
    await clock.advance(1000);
    expect(out.flat()).toEqual(["a", "b", "c", "same", "same", "d", "same"]);
  });

  it("reports a payload the codec cannot decode and goes on", async () => {
    topic = await testTopic("rx-bad");
    await topic.createSession();
    const clock = new ManualClock();
    const out: string[][] = [];
    const receiver = new MqttReceiver<string>({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId, codec: "json" });
    const j = await job(await tempDir(), clock, receiver, out);
    ssc = j.ssc;
    const errors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (e) => void errors.push(e.receiverInfo.lastErrorMessage ?? "") });
    await ssc.start();
    await topic.publish(['"x"', "{bad"], 1);
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(stored(j.stream)).toBe(1), WAIT);
    expect(errors[0]).toMatch(/is not json; acknowledged and dropped/);
    await clock.advance(1000);
    expect(out.flat()).toEqual(["x"]);
  });

  it("at QoS 0 stores with store(): at-most-once, nothing held", async () => {
    topic = await testTopic("rx-q0");
    const clock = new ManualClock();
    const out: string[][] = [];
    const receiver = new MqttReceiver({ url: MQTT_URL, topics: [topic.topic], clientId: topic.clientId, qos: 0 });
    const j = await job(await tempDir(), clock, receiver, out);
    ssc = j.ssc;
    let started = false;
    ssc.addStreamingListener({ onReceiverStarted: () => void (started = true) });
    await ssc.start();
    // The subscription exists once a probe published at QoS 0 comes through.
    await vi.waitFor(async () => {
      await topic!.publish(["probe"], 0);
      expect(j.stream.pendingRecords).toBeGreaterThan(0);
    }, WAIT);
    expect(started).toBe(true);
    await clock.advance(1000);
    expect(new Set(out.flat())).toEqual(new Set(["probe"]));
    expect(receiver.counters.stored).toBe(0);
  });
});
