import { Publisher, Push } from "zeromq";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../clock.js";
import { StreamingContext } from "../../streaming-context.js";

const WAIT = { timeout: 10_000, interval: 10 };

let ssc: StreamingContext | undefined;
const sockets: { close(): void }[] = [];
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  for (const s of sockets.splice(0)) s.close();
});

let clock = new ManualClock();
function context(): StreamingContext {
  clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock });
  return ssc;
}

describe("zeroMqStream", () => {
  it("names the option that is wrong", () => {
    const s = context();
    expect(() => s.zeroMqStream({ endpoint: "127.0.0.1:5555" })).toThrow(/endpoint must be a ZeroMQ endpoint/);
    expect(() => s.zeroMqStream({ endpoint: "tcp://127.0.0.1:5555", type: "req" as "sub" })).toThrow(/type must be "pull" or "sub"/);
    expect(() => s.zeroMqStream({ endpoint: "tcp://127.0.0.1:5555", type: "pull", topics: ["a"] })).toThrow(/topics apply to type "sub" only/);
  });

  it("PULL: stores every message the PUSH side sends, the last frame as the payload", async () => {
    const push = new Push();
    sockets.push(push);
    await push.bind("tcp://127.0.0.1:*");
    const s = context();
    const stream = s.zeroMqStream<{ n: number }>({ endpoint: push.lastEndpoint!, type: "pull", codec: "json" });
    const got: number[] = [];
    stream.foreachRDD((rdd) => void got.push(...rdd.collect().map((r) => r.n)));
    const errors: string[] = [];
    s.addStreamingListener({ onReceiverError: (e) => void errors.push(e.receiverInfo.lastErrorMessage ?? "") });
    await s.start();
    for (let n = 0; n < 100; n++) await push.send(JSON.stringify({ n }));
    await push.send(["ignored-frame", JSON.stringify({ n: 100 })]);
    await push.send("{bad");
    await vi.waitFor(() => expect(stream.pendingRecords).toBe(101), WAIT);
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    expect(errors[0]).toMatch(/a message is not json; dropped/);
    await clock.advance(1000);
    expect(got).toEqual(Array.from({ length: 101 }, (_, n) => n));
    // The sender goes away: reported to listeners (ZeroMQ reconnects by itself when it is back).
    push.close();
    await vi.waitFor(() => expect(errors.some((e) => /disconnected from tcp:\/\/127\.0\.0\.1:\d+; ZeroMQ reconnects/.test(e))).toBe(true), WAIT);
  });

  it("SUB: takes the subscribed topics only", async () => {
    const pub = new Publisher();
    sockets.push(pub);
    await pub.bind("tcp://127.0.0.1:*");
    const s = context();
    const stream = s.zeroMqStream({ endpoint: pub.lastEndpoint!, topics: ["keep"] });
    const got: string[] = [];
    stream.foreachRDD((rdd) => void got.push(...rdd.collect()));
    await s.start();
    // A subscription takes a moment to reach the publisher: publish until one arrives.
    await vi.waitFor(async () => {
      await pub.send(["drop", "x"]);
      await pub.send(["keep", "y"]);
      expect(stream.pendingRecords).toBeGreaterThan(0);
    }, WAIT);
    await clock.advance(1000);
    expect(new Set(got)).toEqual(new Set(["y"]));
  });
});
