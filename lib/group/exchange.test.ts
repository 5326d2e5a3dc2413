import { describe, expect, it, vi } from "vitest";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { NATS_URL, uniqueName } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { shuffleExchange, subjectToken, type ShuffleExchangeOptions } from "./exchange.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();

/** A group of its own, its shuffle stream deleted after the test. */
async function setup(options: Partial<ShuffleExchangeOptions> = {}) {
  const group = uniqueName("ex");
  const client = JetStreamClient.open([NATS_URL]);
  const stream = `DSTREAM_GROUP_${group}_SHUF`;
  cleanup(async () => {
    await client.deleteStream(stream);
    await client.release();
  });
  const exchange = shuffleExchange(client, { group, partitions: 3, ...options });
  await exchange.ensure();
  return { group, client, stream, exchange };
}

/** Source p's records for target q: `[p, q, i]` so the order is visible. */
const parts = (p: number, counts: number[]) => counts.map((n, q) => Array.from({ length: n }, (_, i) => [p, q, i]));

describe.skipIf(!nats)("shuffleExchange on JetStream", () => {
  it("3 sources × 3 targets: each target gets its parts in source order, empty parts included; re-publishing the same ids is harmless", async () => {
    const { exchange, client, stream } = await setup();
    const counts = [
      [2, 0, 1],
      [0, 0, 3],
      [1, 0, 0],
    ];
    // Published out of order: the result does not depend on it.
    for (const p of [2, 0, 1]) await exchange.publish("op-7", p, 5000, parts(p, counts[p]!));
    const expected = (q: number) => [0, 1, 2].flatMap((p) => parts(p, counts[p]!)[q]!);
    for (const q of [0, 1, 2]) expect((await exchange.collect("op-7", q, 5000)).records).toEqual(expected(q));
    expect((await exchange.collect("op-7", 1, 5000)).records).toEqual([]);
    const before = (await client.streamState(stream)).lastSeq;
    await exchange.publish("op-7", 1, 5000, parts(1, counts[1]!));
    expect((await client.streamState(stream)).lastSeq).toBe(before);
    expect((await exchange.collect("op-7", 2, 5000)).records).toEqual(expected(2));
    // Another batch time and another exchange id are separate.
    await expect(exchange.collect("op-7", 0, 6000, AbortSignal.timeout(50))).rejects.toMatchObject({ name: "TimeoutError" });
    await expect(exchange.collect("op-8", 0, 5000, AbortSignal.timeout(50))).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("collect waits for a late source; abort rejects with the signal's reason and leaves no timer", async () => {
    const { exchange, client } = await setup({ partitions: 2 });
    const polls = vi.spyOn(client, "directGetLast");
    await exchange.publish("late", 0, 1000, [[["a"]], []]);
    const waiting = exchange.collect("late", 0, 1000);
    let settled = false;
    void waiting.finally(() => (settled = true));
    // The collector has looked for source 1 several times and is still waiting.
    await until(() => polls.mock.calls.filter(([, subject]) => subject.endsWith(".late.0.1000.1")).length >= 4);
    expect(settled).toBe(false);
    await exchange.publish("late", 1, 1000, [[["b"]], []]);
    expect((await waiting).records).toEqual([["a"], ["b"]]);

    // Every backoff timer (2..50 ms) the collector starts is fired or cleared once it rejects.
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const live = new Set<unknown>();
    let started = 0;
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSet(() => {
        live.delete(handle);
        fn();
      }, ms);
      if (ms !== undefined && ms >= 2 && ms <= 50) {
        live.add(handle);
        started++;
      }
      return handle;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, "clearTimeout").mockImplementation(((handle: Parameters<typeof clearTimeout>[0]) => {
      live.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout);
    try {
      const controller = new AbortController();
      const aborted = exchange.collect("late", 0, 2000, controller.signal);
      await until(() => started >= 3);
      const reason = new Error("stop");
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      expect(live.size).toBe(0);
      await expect(exchange.collect("late", 0, 2000, controller.signal)).rejects.toBe(reason);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("a large part goes as chunks and comes back whole; odd exchange ids are encoded into one subject token", async () => {
    const { exchange, client, stream, group } = await setup({ partitions: 2, maxMessageBytes: 256 });
    const big = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: i }));
    await exchange.publish("a.b c", 0, 1000, [big, []]);
    await exchange.publish("a.b c", 1, 1000, [[{ key: "last" }], big]);
    expect((await exchange.collect("a.b c", 0, 1000)).records).toEqual([...big, { key: "last" }]);
    expect((await exchange.collect("a.b c", 1, 1000)).records).toEqual(big);
    const token = subjectToken("a.b c", "test");
    expect(token).toMatch(/^~[A-Za-z0-9_-]+$/);
    expect((await client.readAll(stream, `dstream.group.${group}.shufc.${token}.0.1000.0`)).length).toBeGreaterThan(10);
    // A re-run of the same batch (same ids, same content) adds nothing.
    const before = (await client.streamState(stream)).lastSeq;
    await exchange.publish("a.b c", 0, 1000, [big, []]);
    expect((await client.streamState(stream)).lastSeq).toBe(before);
  });

  it("purgeBelow a collect's lowest sequence removes target q's earlier batches (chunks too), and nothing of later batches or other targets", async () => {
    const { exchange, client, stream, group } = await setup({ partitions: 2, maxMessageBytes: 256 });
    const big = Array.from({ length: 60 }, (_, i) => `record-${i}`);
    // Sources publish batch by batch, each its parts for both targets; source 1 runs a batch behind.
    for (const t of [1000, 2000, 3000, 4000]) {
      await exchange.publish("x", 0, t, [big, [`0@${t}`]]);
      if (t > 1000) await exchange.publish("x", 1, t - 1000, [[`1@${t - 1000}`], big]);
    }
    await exchange.publish("x", 1, 4000, [[`1@4000`], big]);
    const third = await exchange.collect("x", 0, 3000);
    expect(third.records).toEqual([...big, "1@3000"]);
    const removed = await exchange.purgeBelow("x", 0, third.fromSeq);
    expect(removed).toBeGreaterThan(4); // two batches of target 0: parts and chunks
    // Target 0's batches 3000 and 4000 are whole; 1000 and 2000 are gone.
    expect((await exchange.collect("x", 0, 3000)).records).toEqual([...big, "1@3000"]);
    expect((await exchange.collect("x", 0, 4000)).records).toEqual([...big, "1@4000"]);
    for (const t of [1000, 2000]) await expect(exchange.collect("x", 0, t, AbortSignal.timeout(100))).rejects.toMatchObject({ name: "TimeoutError" });
    // The server reads a purge bound of 1 as "everything": below sequence 1 there is nothing to remove.
    expect(await exchange.purgeBelow("x", 1, 1)).toBe(0);
    // Target 1 keeps every batch.
    for (const t of [1000, 2000, 3000, 4000]) expect((await exchange.collect("x", 1, t)).records).toEqual([`0@${t}`, ...big]);
    expect((await client.readAll(stream, `dstream.group.${group}.shufc.x.0.2000.0`)).length).toBe(0);
    expect((await client.readAll(stream, `dstream.group.${group}.shufc.x.1.2000.1`)).length).toBeGreaterThan(0);
  });

  it("wrong arguments are refused", async () => {
    const { exchange, client } = await setup({ partitions: 2 });
    await expect(exchange.publish("x", 0, 1000, [[]])).rejects.toThrow(TypeError);
    await expect(exchange.publish("x", 2, 1000, [[], []])).rejects.toThrow(RangeError);
    await expect(exchange.collect("", 0, 1000)).rejects.toThrow(TypeError);
    expect(() => shuffleExchange(client, { group: "a b", partitions: 1 })).toThrow(TypeError);
  });

  it("bench: publish + collect of 10k small records per batch, P = 2 and P = 4 (figures only)", async () => {
    for (const P of [2, 4]) {
      const { exchange, client, group } = await setup({ partitions: P });
      const perPart = Math.floor(10_000 / (P * P));
      const batches = 30;
      const records = (p: number, t: number) => Array.from({ length: P }, (_, q) => Array.from({ length: perPart }, (_, i) => [`w${p}-${q}-${i}`, t]));
      // One warm-up batch (stream, JIT).
      await Promise.all(Array.from({ length: P }, (_, p) => exchange.publish("bench", p, 0, records(p, 0))));
      await Promise.all(Array.from({ length: P }, (_, q) => exchange.collect("bench", q, 0)));
      let total = 0;
      let publishMs = 0;
      const start = performance.now();
      for (let t = 1; t <= batches; t++) {
        const inputs = Array.from({ length: P }, (_, p) => records(p, t));
        const before = performance.now();
        await Promise.all(inputs.map((parts, p) => exchange.publish("bench", p, t, parts)));
        publishMs += performance.now() - before;
        const got = await Promise.all(Array.from({ length: P }, (_, q) => exchange.collect("bench", q, t)));
        total += got.reduce((n, g) => n + g.records.length, 0);
      }
      const seconds = (performance.now() - start) / 1000;
      expect(total).toBe(batches * P * P * perPart);
      // One message per (p, q) and batch published, and each read back once by its collector.
      const messages = batches * P * P;
      console.log(
        `exchange bench P=${P}: ${Math.round(total / seconds).toLocaleString("en")} records/s, ${Math.round(messages / seconds).toLocaleString("en")} messages/s ` +
          `(published and collected), ${((seconds / batches) * 1000).toFixed(1)} ms per batch of which publish ${(publishMs / batches).toFixed(1)} ms`,
      );
      // The same parts published one message at a time, each awaited (what publish avoids).
      const { encodeValue } = await import("../../storage/codec.js");
      let oneByOneMs = 0;
      for (let t = 1; t <= batches; t++) {
        const parts = Array.from({ length: P }, (_, p) => records(p, t)).flat(1);
        const before = performance.now();
        for (const [i, part] of parts.entries()) await client.publish(`dstream.group.${group}.shuf.onebyone.${i}.${t}.0`, encodeValue(part));
        oneByOneMs += performance.now() - before;
      }
      console.log(`exchange bench P=${P}: the same ${P * P} messages per batch encoded and published one by one, each awaited: ${(oneByOneMs / batches).toFixed(1)} ms per batch`);
    }
  });
});

/** Resolves once `condition()` holds; fails after a generous deadline. */
async function until(condition: () => boolean, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not reached before the deadline");
    await new Promise((r) => setImmediate(r));
  }
}
