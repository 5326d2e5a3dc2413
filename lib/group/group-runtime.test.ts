import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { NATS_URL, testStream, uniqueName, type TestStream } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import { removeGroup } from "../test-support/group-fixture.js";
import { StateSpec, type DStream } from "../dstream/internal.js";
import type { JetStreamMessage } from "../sources/jetstream/jetstream-options.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();
const tempDir = tempDirs("dstream-group-");

const PARTITIONS = 3;

async function stream(): Promise<TestStream> {
  const s = await testStream();
  cleanup(() => s.remove());
  return s;
}

/** Publishes `lines` round-robin over the partitions. */
async function publishLines(s: TestStream, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i++) await s.publish(i % PARTITIONS, lines[i] as string);
}

const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

interface WordCountRun {
  ssc: StreamingContext;
  clock: ManualClock;
  /** Per batch time: that batch's [word, count] pairs (all partitions of this member). */
  counts: Map<number, [string, number][]>;
  /** Per batch time: the running totals this member holds. */
  totals: Map<number, [string, number][]>;
  /** Per batch time: the number of lines (count()), where this member computed it. */
  lines: Map<number, number>;
  completed: number[];
  input?: { uiStatus(): { partitions?: { partition: number; offset?: number; lastBatchRecords?: number }[] } };
}

/** The word count, alone (a checkpoint directory) or as a member of `group`. */
function wordCount(s: TestStream, options: { group?: string; dir?: string; clock?: ManualClock; maxRate?: number }): WordCountRun {
  const clock = options.clock ?? new ManualClock(0);
  const ssc = new StreamingContext({
    batchDuration: 1000,
    clock,
    // A snapshot after every commit: each one removes the shuffle parts no later window reads.
    ...(options.group === undefined ? { checkpointDir: options.dir } : { group: { name: options.group, servers: NATS_URL, leaseMs: 1500, snapshotInterval: 1 } }),
  });
  const run: WordCountRun = { ssc, clock, counts: new Map(), totals: new Map(), lines: new Map(), completed: [] };
  const input: DStream<JetStreamMessage<string>> = ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: PARTITIONS, maxRatePerPartition: options.maxRate ?? 4 });
  run.input = input as unknown as WordCountRun["input"];
  const words = input.flatMap((m) => m.value.split(" ")).map((w): [string, number] => [w, 1]);
  words.reduceByKey((a, b) => a + b).foreachRDD((rdd, time) => void run.counts.set(time, sorted(rdd.collect())));
  words.updateStateByKey((vs: number[], total: number | undefined) => vs.reduce((a, b) => a + b, total ?? 0)).foreachRDD((rdd, time) => void run.totals.set(time, sorted(rdd.collect())));
  input.count().foreachRDD((rdd, time) => {
    const n = rdd.collect();
    if (n.length > 0) run.lines.set(time, n[0] as number);
  });
  ssc.addStreamingListener({ onBatchCompleted: (e) => void run.completed.push(e.batchInfo.batchTime) });
  cleanup(() => ssc.stop().catch(() => undefined));
  return run;
}

/** Advances the clock batch by batch until batch `time` has completed (waiting on the batch, not on time). */
async function runThrough(run: WordCountRun, time: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  const base = run.clock.now();
  while (!run.completed.includes(time)) {
    if (Date.now() > deadline) throw new Error(`batch ${time} did not complete; completed: ${run.completed.join(", ")}`);
    const next = Math.min(time, Math.max(base, run.completed.at(-1) ?? 0) + 1000);
    if (run.clock.now() < next) await run.clock.advance(next - run.clock.now());
    await new Promise((r) => setTimeout(r, 5));
  }
}

const LINES = ["a b c", "b c d", "c d e", "a a a", "e f", "f", "b", "a c e", "d d", "x y z", "z", "y y", "a", "b", "c"];

/** A windowed word count (3 s windows every second), alone or in `group`; records each window. */
function windowedCount(s: TestStream, options: { group?: string; dir?: string; clock: ManualClock }) {
  const ssc = new StreamingContext({
    batchDuration: 1000,
    clock: options.clock,
    // A snapshot after every commit: each one removes the shuffle parts no later window reads.
    ...(options.group === undefined ? { checkpointDir: options.dir } : { group: { name: options.group, servers: NATS_URL, leaseMs: 1500, snapshotInterval: 1 } }),
  });
  const windows = new Map<number, [string, number][]>();
  const completed: number[] = [];
  ssc
    .jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: PARTITIONS, maxRatePerPartition: 2 })
    .flatMap((m) => m.value.split(" "))
    .map((w): [string, number] => [w, 1])
    .reduceByKeyAndWindow((a, b) => a + b, 3000, 1000)
    .foreachRDD((rdd, time) => void windows.set(time, sorted(rdd.collect())));
  ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo.batchTime) });
  cleanup(() => ssc.stop().catch(() => undefined));
  return { ssc, clock: options.clock, windows, completed, counts: new Map(), totals: new Map(), lines: new Map() } as WordCountRun & { windows: Map<number, [string, number][]> };
}

describe.skipIf(!nats)("a group of one member", () => {
  it("windows a keyed stream as the job alone does, across a restart (earlier batches read back from the shuffle stream)", async () => {
    const s = await stream();
    await publishLines(s, LINES);
    const alone = windowedCount(s, { dir: await tempDir(), clock: new ManualClock(0) });
    await alone.ssc.start();
    await runThrough(alone, 5000);
    await alone.ssc.stop();

    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const clock = new ManualClock(0);
    const first = windowedCount(s, { group, clock });
    await first.ssc.start();
    await runThrough(first, 2000);
    await first.ssc.stop();
    const second = windowedCount(s, { group, clock });
    await second.ssc.start();
    await runThrough(second, 5000);
    for (const t of [1000, 2000]) expect(first.windows.get(t), `window ending ${t}`).toEqual(alone.windows.get(t));
    // Windows at 3000 and 4000 reach back over the restart into batches the first member ran.
    for (const t of [3000, 4000, 5000]) expect(second.windows.get(t), `window ending ${t}`).toEqual(alone.windows.get(t));
    expect(alone.windows.get(3000)?.length).toBeGreaterThan(0);
  });

  it("removes the shuffle parts no window reaches back to any more, and keeps those it does", async () => {
    const s = await stream();
    await publishLines(s, LINES);
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const run = windowedCount(s, { group, clock: new ManualClock(0) });
    await run.ssc.start();
    await runThrough(run, 8000);
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    // dstream.group.<g>.shuf.<exchange>.<q>.<t>.<p>
    const subjects = await client.subjectCounts(`DSTREAM_GROUP_${group}_SHUF`, `dstream.group.${group}.shuf.>`);
    const times = new Set([...subjects.keys()].map((subject) => Number(subject.split(".")[6])));
    // Batches 1000 and 2000 are gone; the 3 s windows of batches 7000 and 8000 and the next one still read 6000 on.
    expect(Math.min(...times), [...times].join()).toBeGreaterThan(2000);
    for (const t of [6000, 7000, 8000]) expect(times.has(t), `batch ${t} kept: ${[...times].join()}`).toBe(true);
    // Every (target, source) part of a batch kept is there whole.
    expect([...subjects.keys()].filter((subject) => subject.split(".")[6] === "6000")).toHaveLength(PARTITIONS * PARTITIONS);
  });

  it("computes what the job computes alone: per-batch counts, running totals and count() over every partition", async () => {
    const s = await stream();
    await publishLines(s, LINES);
    const alone = wordCount(s, { dir: await tempDir() });
    await alone.ssc.start();
    await runThrough(alone, 3000);
    await alone.ssc.stop();

    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const member = wordCount(s, { group });
    await member.ssc.start();
    await runThrough(member, 3000);
    expect(member.ssc.group?.owned()).toEqual([0, 1, 2]);
    // The UI's partition rows: each partition this member holds, as it last planned it.
    expect(member.input?.uiStatus().partitions?.map((r) => r.partition)).toEqual([0, 1, 2]);
    expect(member.input?.uiStatus().partitions?.every((r) => (r.offset ?? 0) > 0)).toBe(true);
    for (const t of [1000, 2000, 3000]) {
      expect(member.counts.get(t), `counts of batch ${t}`).toEqual(alone.counts.get(t));
      expect(member.totals.get(t), `totals after batch ${t}`).toEqual(alone.totals.get(t));
      expect(member.lines.get(t), `lines of batch ${t}`).toEqual(alone.lines.get(t));
    }
    // maxRatePerPartition 4: 15 lines over 3 partitions take two batches.
    expect(member.lines.get(1000)).toBe(12);
    expect(member.lines.get(2000)).toBe(3);
    const members = await member.ssc.group!.members();
    expect(members).toEqual([{ id: member.ssc.group!.memberId, partitions: [0, 1, 2] }]);
  });

  it("restarted, goes on from the group's log: state restored, no batch counted twice", async () => {
    const s = await stream();
    await publishLines(s, LINES.slice(0, 9));
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const clock = new ManualClock(0);
    const first = wordCount(s, { group, clock });
    await first.ssc.start();
    await runThrough(first, 2000);
    await first.ssc.stop();

    await publishLines(s, LINES.slice(9));
    const second = wordCount(s, { group, clock });
    await second.ssc.start();
    await runThrough(second, 5000);
    expect(second.completed[0]).toBe(3000);
    const expected = new Map<string, number>();
    for (const w of LINES.join(" ").split(" ")) expected.set(w, (expected.get(w) ?? 0) + 1);
    expect(second.totals.get(5000)).toEqual(sorted([...expected]));
    // Every line counted once across both runs.
    const perBatch = new Map<string, number>();
    for (const run of [first, second]) for (const pairs of run.counts.values()) for (const [w, n] of pairs) perBatch.set(w, (perBatch.get(w) ?? 0) + n);
    expect(sorted([...perBatch])).toEqual(sorted([...expected]));
  });

  it("mapWithState's initial state survives a restart after a batch committed before the operator's first batch", async () => {
    const s = await stream();
    for (let p = 0; p < PARTITIONS; p++) await s.publish(p, "a");
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const states: [string, number][][] = [];
    const member = (clock: ManualClock): WordCountRun => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock, group: { name: group, servers: NATS_URL, leaseMs: 1500 } });
      const run: WordCountRun = { ssc, clock, counts: new Map(), totals: new Map(), lines: new Map(), completed: [] };
      ssc.addStreamingListener({ onBatchCompleted: (e) => void run.completed.push(e.batchInfo.batchTime) });
      // The state operator slides every 2 s: batch 1000 commits before its first batch.
      ssc
        .jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: PARTITIONS })
        .map((m): [string, number] => [m.value, 1])
        .reduceByKey((a, b) => a + b)
        .window(2000, 2000)
        .mapWithState(
          StateSpec.function<string, number, number, never>((_k, v, st) => {
            st.update((st.getOption() ?? 0) + (v ?? 0));
            return undefined;
          }).initialState([["a", 100], ["b", 200]]),
        )
        .stateSnapshots()
        .foreachRDD((rdd) => void states.push(sorted(rdd.collect())));
      cleanup(() => ssc.stop().catch(() => undefined));
      return run;
    };
    const first = member(new ManualClock(0));
    await first.ssc.start();
    await runThrough(first, 1000);
    await first.ssc.stop();
    const second = member(new ManualClock(1000));
    await second.ssc.start();
    await runThrough(second, 2000);
    // Before: batch 1000's commits held no state, the restart restored none, and [["a", 3]] came out.
    expect(states).toEqual([
      [
        ["a", 103],
        ["b", 200],
      ],
    ]);
  });

  it("refuses to start a group over on an earlier run's log (KV bucket deleted, streams kept): it would go on from that log's state", async () => {
    const s = await stream();
    await publishLines(s, LINES);
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const first = wordCount(s, { group });
    await first.ssc.start();
    await runThrough(first, 2000);
    await first.ssc.stop();
    // Other partitions: refused, and told to delete the whole group to start over.
    const other = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), group: { name: group, servers: NATS_URL, leaseMs: 1500 } });
    cleanup(() => other.stop().catch(() => undefined));
    other.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: 2 }).map((m): [string, number] => [m.value, 1]).updateStateByKey((vs: number[], t: number | undefined) => vs.length + (t ?? 0)).print();
    const mismatch = await other.start().then(() => undefined, (e: unknown) => e);
    expect(StreamingError.is(mismatch, ErrorCodes.CHECKPOINT_MISMATCH), String(mismatch)).toBe(true);
    expect((mismatch as Error).message).toContain(`DSTREAM_GROUP_${group}_LOG`);
    // The bucket alone deleted: before, the next member restored the 3-partition state into its own
    // partitions and went on from batch 2000 (totals without the words of old partition 2).
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    await client.deleteKvBucket(`dstream_group_${group}`);
    const again = wordCount(s, { group });
    const refused = await again.ssc.start().then(() => undefined, (e: unknown) => e);
    expect(StreamingError.is(refused, ErrorCodes.CHECKPOINT_MISMATCH), String(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/holds an earlier run's commits and state/);
    // Nothing was written: no meta, so deleting the streams too starts the group over.
    await removeGroup(group);
    const fresh = wordCount(s, { group });
    await fresh.ssc.start();
    await runThrough(fresh, 1000);
    expect(fresh.completed[0]).toBe(1000);
    expect(fresh.lines.get(1000)).toBe(12);
  });

  it("fails with SOURCE_OFFSET_LOST, not a hang, when shuffle data a batch needs is gone", async () => {
    const s = await stream();
    await publishLines(s, LINES);
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const clock = new ManualClock(0);
    const first = windowedCount(s, { group, clock });
    await first.ssc.start();
    await runThrough(first, 2000);
    await first.ssc.stop();
    // As the shuffle stream's max age would: every part of batches 1000 and 2000 is gone.
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    await client.purgeSubjectBelow(`DSTREAM_GROUP_${group}_SHUF`, `dstream.group.${group}.>`, Number.MAX_SAFE_INTEGER);
    const second = windowedCount(s, { group, clock });
    await second.ssc.start();
    await clock.advance(1000);
    const err = await second.ssc.awaitTermination().then(() => undefined, (e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.SOURCE_OFFSET_LOST), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/committed batch 1000 .* no longer in stream/);
  });

  it("saveAsTextFiles writes one file per partition of a batch (members never write the same file)", async () => {
    const s = await stream();
    await publishLines(s, ["l0", "l1", "l2", "l3", "l4"]);
    const dir = await tempDir();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock, group: { name: uniqueName("g"), servers: NATS_URL, leaseMs: 1500 } });
    cleanup(() => removeGroup(ssc.groupOptions!.name));
    cleanup(() => ssc.stop().catch(() => undefined));
    const completed: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo.batchTime) });
    ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: PARTITIONS }).map((m) => m.value).saveAsTextFiles(join(dir, "lines"), "txt");
    await ssc.start();
    await runThrough({ clock, completed } as unknown as WordCountRun, 1000);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(["lines-1000-p0.txt", "lines-1000-p1.txt", "lines-1000-p2.txt"]);
    expect(await readFile(join(dir, "lines-1000-p0.txt"), "utf8")).toBe("l0\nl3\n");
    expect(await readFile(join(dir, "lines-1000-p2.txt"), "utf8")).toBe("l2\n");
  });

  it("refuses a member whose job differs (the checkpoint mismatch report) and what a group cannot divide", async () => {
    const s = await stream();
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    const first = wordCount(s, { group });
    await first.ssc.start();
    await first.ssc.stop();

    const other = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), group: { name: group, servers: NATS_URL, leaseMs: 1500 } });
    cleanup(() => other.stop().catch(() => undefined));
    other.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: PARTITIONS }).map((m) => m.value).print();
    const refused = await other.start().then(() => undefined, (e: unknown) => e);
    expect(StreamingError.is(refused, ErrorCodes.CHECKPOINT_MISMATCH), String(refused)).toBe(true);

    const refuse = async (build: (ssc: StreamingContext) => void, message: RegExp): Promise<void> => {
      const name = uniqueName("g");
      const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), group: { name, servers: NATS_URL } });
      // Some refusals come after joining (what shows once the graph has started): the bucket exists.
      cleanup(() => removeGroup(name));
      cleanup(() => ssc.stop().catch(() => undefined));
      build(ssc);
      const err = await ssc.start().then(() => undefined, (e: unknown) => e);
      expect(StreamingError.is(err, ErrorCodes.GROUP_UNSUPPORTED), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
    };
    const lines = (ssc: StreamingContext) => ssc.jetStream<string>({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: PARTITIONS }).map((m): [string, number] => [m.value, 1]);
    await refuse((ssc) => ssc.queueStream([["a"]]).print(), /QueueInputDStream .*jetStream/);
    await refuse((ssc) => lines(ssc).reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3000, 1000).print(), /ReducedWindowedDStream/);
    await refuse((ssc) => lines(ssc).window(3000, 1000).print(), /window .* before any shuffle/);
    await refuse((ssc) => lines(ssc).repartition(PARTITIONS).print(), /repartition .* would be lost/);
  });
});
