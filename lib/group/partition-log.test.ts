import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { encodeValue } from "../../storage/codec.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { NATS_URL, uniqueName } from "../test-support/jetstream-fixture.js";
import { prng } from "../test-support/prng.js";
import { serviceAvailable } from "../test-support/services.js";
import type { LogEntry, PartitionHistory } from "./contracts.js";
import { partitionLog, readPartitionProgress, type PartitionLogOptions } from "./partition-log.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();

/** A group of its own, its log stream deleted after the test. */
async function setup(options: Partial<PartitionLogOptions> = {}) {
  const group = uniqueName("pl").replace(/[^A-Za-z0-9_-]/g, "_");
  const client = JetStreamClient.open([NATS_URL]);
  const stream = `DSTREAM_GROUP_${group}_LOG`;
  cleanup(async () => {
    await client.deleteStream(stream);
    await client.release();
  });
  const make = (more: Partial<PartitionLogOptions> = {}) => partitionLog(client, { group, partitions: 3, ...options, ...more });
  const log = make();
  await log.ensure();
  const subject = (kind: string, p: number) => `dstream.group.${group}.${kind}.${p}`;
  const count = async (kind: string, p: number) => (await client.readAll(stream, subject(kind, p))).length;
  return { group, client, stream, log, make, subject, count };
}

const plan = (time: number, plan: unknown = { range: [time, time + 1] }): LogEntry => ({ kind: "plan", time, plan });
const commit = (time: number, deltas: Record<string, unknown> = { op1: { [`k${time}`]: time } }, member = "m1"): LogEntry => ({ kind: "commit", time, deltas, member });

describe.skipIf(!nats)("partitionLog on JetStream", () => {
  it("open of an empty partition, appends, reopen: the same entries in order; partitions are separate", async () => {
    const { log, make } = await setup();
    expect(await log.open(0)).toEqual({ partition: 0, entries: [] });
    await log.open(1);
    await log.append(0, plan(1000));
    await log.append(1, plan(1000, "other"));
    await log.append(0, commit(1000));
    await log.append(0, plan(2000));
    const other = make();
    expect(await other.open(0)).toEqual({ partition: 0, entries: [plan(1000), commit(1000), plan(2000)] });
    expect(await other.open(1)).toEqual({ partition: 1, entries: [plan(1000, "other")] });
  });

  it("a member that lost the partition is fenced: append and snapshot fail with GROUP_FENCED; reopening reads the new writer's entries", async () => {
    const { make } = await setup();
    const a = make();
    const b = make();
    await a.open(2);
    await a.append(2, plan(1000));
    await a.append(2, commit(1000));
    // b takes the partition over and writes.
    expect((await b.open(2)).entries).toEqual([plan(1000), commit(1000)]);
    await b.append(2, plan(2000));
    const err = await a.append(2, plan(2000, "stale")).catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.GROUP_FENCED)).toBe(true);
    expect((err as Error).message).toMatch(/Group ".*", partition 2: cannot write the plan of batch 2000: another member wrote the partition since/);
    await expect(a.snapshot(2, 1000, { s: 1 })).rejects.toMatchObject({ code: ErrorCodes.GROUP_FENCED });
    // b was not disturbed.
    await b.append(2, commit(2000));
    // A member that lost p and reads it again may write again (and fences b).
    expect((await a.open(2)).entries).toEqual([plan(1000), commit(1000), plan(2000), commit(2000)]);
    await a.append(2, plan(3000));
    await expect(b.append(2, plan(3000))).rejects.toMatchObject({ code: ErrorCodes.GROUP_FENCED });
  });

  it("a snapshot is fenced on its own subject: two members at the same log position cannot both snapshot", async () => {
    const { make } = await setup();
    const a = make();
    await a.open(0);
    await a.append(0, commit(1000));
    const b = make();
    await b.open(0);
    await a.open(0);
    await a.snapshot(0, 1000, { s: "a" });
    await expect(b.snapshot(0, 1000, { s: "b" })).rejects.toMatchObject({ code: ErrorCodes.GROUP_FENCED });
    expect((await make().open(0)).snapshot).toEqual({ time: 1000, states: { s: "a" } });
  });

  it("wrong calls: not opened → TypeError; snapshot of a batch not committed → RangeError; bad partition or group → RangeError/TypeError", async () => {
    const { log, client } = await setup();
    expect(() => log.append(0, plan(1))).toThrow(TypeError);
    await log.open(0);
    log.close(0);
    expect(() => log.append(0, plan(1))).toThrow(/not open in this instance; call open\(0\) first/);
    await log.open(0);
    await log.append(0, plan(1000));
    await expect(log.snapshot(0, 1000, {})).rejects.toThrow(RangeError);
    expect(() => log.append(3, plan(1))).toThrow(RangeError);
    expect(() => partitionLog(client, { group: "a.b", partitions: 1 })).toThrow(TypeError);
    expect(() => partitionLog(client, { group: "g", partitions: 0 })).toThrow(RangeError);
  });

  it("large entries and snapshots go as chunks and come back whole; a missing chunk is STORAGE_CORRUPT", async () => {
    const { make, client, stream, subject, count } = await setup({ maxMessageBytes: 200 });
    const log = make();
    await log.open(1);
    const big = commit(1000, { op: Array.from({ length: 300 }, (_, i) => [`key-${i}`, i * 1.5]) });
    await log.append(1, plan(1000));
    await log.append(1, big);
    expect(encodeValue(big).length).toBeGreaterThan(2000);
    expect(await count("chunk", 1)).toBeGreaterThan(10);
    expect((await make().open(1)).entries).toEqual([plan(1000), big]);
    const states = { op: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key-${i}`, { n: i }])) };
    await log.snapshot(1, 1000, states);
    expect(await make().open(1)).toEqual({ partition: 1, snapshot: { time: 1000, states }, entries: [] });
    // Remove a chunk of the snapshot behind dstream's back.
    const chunks = await client.readAll(stream, subject("chunk", 1));
    await client.purgeSubjectBelow(stream, subject("chunk", 1), chunks.at(-1)!.seq);
    await expect(make().open(1)).rejects.toMatchObject({ code: ErrorCodes.STORAGE_CORRUPT, message: expect.stringMatching(/snapshot .* is missing chunk/) });
  });

  it("a writer that died between its chunks and its entry leaves orphans: ignored, not reused when they differ, removed by retention", async () => {
    const { make, client, stream, subject, count } = await setup({ maxMessageBytes: 100 });
    const log = make();
    await log.open(0);
    await log.append(0, commit(1000));
    // The dead writer's chunks of "commit 2000" (same Msg-Ids a new writer will use), other content.
    const deadBytes = encodeValue(commit(2000, { op: "x".repeat(500) }));
    for (let i = 0; i * 100 < deadBytes.length; i++) {
      await client.publish(subject("chunk", 0), deadBytes.subarray(i * 100, (i + 1) * 100), { msgId: `0:commit:2000:${i}` });
    }
    const orphans = await count("chunk", 0);
    expect((await make().open(0)).entries).toEqual([commit(1000)]);
    // The live writer's entry with the same ids but other bytes: its chunks are published afresh.
    const mine = commit(2000, { op: "y".repeat(500) });
    await log.append(0, mine);
    const commit2000 = (await client.directGetLast(stream, subject("log", 0)))!;
    expect((await make().open(0)).entries).toEqual([commit(1000), mine]);
    // Same ids and same bytes (a re-run after a crash): the orphans are reused, nothing new.
    const before = await count("chunk", 0);
    const again = make();
    await again.open(0);
    const rerun = commit(3000, { op: "z".repeat(500) });
    const rerunBytes = encodeValue(rerun);
    for (let i = 0; i * 100 < rerunBytes.length; i++) {
      await client.publish(subject("chunk", 0), rerunBytes.subarray(i * 100, (i + 1) * 100), { msgId: `0:commit:3000:${i}` });
    }
    const withRerunOrphans = await count("chunk", 0);
    await again.append(0, rerun);
    expect(await count("chunk", 0)).toBe(withRerunOrphans);
    expect(withRerunOrphans).toBeGreaterThan(before);
    expect((await make().open(0)).entries).toEqual([commit(1000), mine, rerun]);
    expect(orphans).toBeGreaterThan(0);
    // Two snapshots later, nothing at or below the older kept one's commit remains: orphans are gone.
    await again.snapshot(0, 2000, { s: 2 });
    await again.append(0, commit(4000));
    await again.snapshot(0, 4000, { s: 4 });
    const logLeft = await client.readAll(stream, subject("log", 0));
    // Kept: the commit at 2000 (the older snapshot's), the re-run 3000 and the commit at 4000.
    expect(logLeft[0]!.seq).toBe(commit2000.seq);
    expect(logLeft).toHaveLength(3);
    const chunksLeft = await client.readAll(stream, subject("chunk", 0));
    expect(chunksLeft.length).toBeGreaterThan(0);
    expect(chunksLeft.every((m) => m.seq > commit2000.seq)).toBe(true);
    expect(await make().open(0)).toEqual({ partition: 0, snapshot: { time: 4000, states: { s: 4 } }, entries: [] });
  });

  it("retention invariant: after many appends, snapshots and purges, open returns exactly snapshot + entries after it, and the stream holds only what the kept snapshots need", async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`partition-log retention property: seed ${seed}`);
    const random = prng(seed);
    for (const retainSnapshots of [1, 2, 3]) {
      const { make, count, client, stream, subject } = await setup({ retainSnapshots, maxMessageBytes: 120 });
      let log = make();
      await log.open(0);
      // The model: state = sum of committed deltas; expected history since the newest snapshot.
      let state = 0;
      let expected: PartitionHistory = { partition: 0, entries: [] };
      const snapshotsCovers: number[] = [];
      const entrySeqs: number[] = [];
      const lastSeq = async () => (await client.directGetLast(stream, subject("log", 0)))!.seq;
      for (let t = 1; t <= 60; t++) {
        const time = t * 1000;
        const large = random() < 0.2;
        const delta = large ? "d".repeat(300 + Math.floor(random() * 300)) : String(t);
        const p = plan(time, { t });
        const c = commit(time, { sum: delta });
        await log.append(0, p);
        entrySeqs.push(await lastSeq());
        await log.append(0, c);
        entrySeqs.push(await lastSeq());
        expected.entries.push(p, c);
        state += delta.length;
        if (random() < 0.25) {
          await log.snapshot(0, time, { sum: state });
          expected = { partition: 0, snapshot: { time, states: { sum: state } }, entries: [] };
          snapshotsCovers.push(entrySeqs.at(-1)!);
        }
        if (random() < 0.15) {
          // Another member takes over (reads afresh) and continues.
          log = make();
          expect(await log.open(0)).toEqual(expected);
        }
      }
      expect(await make().open(0)).toEqual(expected);
      // Exactly what the kept snapshots need: their messages, the entries after the oldest one's
      // commit (and that commit: the fence), and no chunk at or below that commit.
      const kept = snapshotsCovers.slice(-retainSnapshots);
      const floor = kept[0] ?? 0;
      expect(await count("snap", 0)).toBe(kept.length);
      expect((await client.readAll(stream, subject("log", 0))).map((m) => m.seq)).toEqual(entrySeqs.filter((s) => s >= floor));
      const chunkSeqs = (await client.readAll(stream, subject("chunk", 0))).map((m) => m.seq);
      expect(chunkSeqs.every((s) => s > floor)).toBe(true);
    }
  });
  it("readPartitionProgress reads again when a chunk of the newest entry vanished under the read (another member's retention), and reports damage only when it stays", async () => {
    const { log, client, group } = await setup({ maxMessageBytes: 100 });
    await log.open(0);
    await log.append(0, plan(1000));
    // A commit large enough to be chunked.
    await log.append(0, commit(1000, { op1: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key-${i}`, i])) }));
    // The first direct get of a chunk answers "no such message", as after a purge between reads.
    let misses = 1;
    const racing = Object.assign(Object.create(client) as JetStreamClient, {
      directGet: async (stream: string, seq: number) => (misses-- > 0 ? undefined : client.directGet(stream, seq)),
    });
    const progress = await readPartitionProgress(racing, group, 0);
    expect(progress.lastCommit?.time).toBe(1000);
    expect(misses).toBeLessThan(0); // the chunk was asked for again
    // A chunk that never comes back is damage, reported with its code.
    const gone = Object.assign(Object.create(client) as JetStreamClient, { directGet: async () => undefined });
    const err = await readPartitionProgress(gone, group, 0).catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.STORAGE_CORRUPT), String(err)).toBe(true);
  });
});
