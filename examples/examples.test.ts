import { join } from "node:path";
import { ManualClock, StreamingContext, type DStream } from "dstream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildFileWordCount } from "./file-stream.js";
import { buildSocketWordCount, startLineServer } from "./socket-stream.js";
import { buildStatefulWordCount, type SessionEvent } from "./stateful-word-count.js";
import { buildStaticJoin } from "./static-join.js";
import { buildWindowedCounts } from "./windowed-counts.js";
import { putFile } from "../lib/test-support/put-file.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";

const WAIT = { timeout: 20_000, interval: 10 };
const tempDir = tempDirs("dstream-examples-");
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** Collects each batch of `stream`, sorted, keyed by batch time. */
function collect<T>(stream: DStream<T>): Map<number, T[]> {
  const batches = new Map<number, T[]>();
  stream.foreachRDD((rdd, time) => void batches.set(time, rdd.collect().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))));
  return batches;
}

/** A context on a ManualClock with a checkpoint in a temp directory, built by `build`. */
async function manualContext(build: (ssc: StreamingContext) => void): Promise<{ ssc: StreamingContext; clock: ManualClock }> {
  const clock = new ManualClock();
  ssc = await StreamingContext.getOrCreate(join(await tempDir(), "cp"), () => {
    const s = new StreamingContext({ batchDuration: 1000, clock });
    build(s);
    return s;
  });
  return { ssc, clock };
}

describe("stateful word count", () => {
  it("updateStateByKey keeps running totals; mapWithState ends a word's session after 2 s idle", async () => {
    let totals!: Map<number, [string, number][]>;
    let events!: Map<number, SessionEvent[]>;
    const { ssc, clock } = await manualContext((s) => {
      const built = buildStatefulWordCount(s.queueStream([["a b"], ["a"], [], [], ["b"]]), 2000);
      totals = collect(built.totals);
      events = collect(built.sessions);
    });
    await ssc.start();
    await clock.advance(5000);
    expect([...totals.values()]).toEqual([
      [["a", 1], ["b", 1]],
      [["a", 2], ["b", 1]],
      [["a", 2], ["b", 1]],
      [["a", 2], ["b", 1]],
      [["a", 2], ["b", 2]],
    ]);
    expect(events.get(1000)).toEqual([{ word: "a", count: 1, ended: false }, { word: "b", count: 1, ended: false }]);
    expect(events.get(2000)).toEqual([{ word: "a", count: 2, ended: false }]);
    expect(events.get(3000)).toEqual([]);
    // b was last seen at 1000: idle (1000 < 4000 - 2000) at 4000; a (2000) at 5000, when b starts again.
    expect(events.get(4000)).toEqual([{ word: "b", count: 1, ended: true }]);
    expect(events.get(5000)).toEqual([{ word: "a", count: 2, ended: true }, { word: "b", count: 1, ended: false }]);
  });
});

describe("windowed counts", () => {
  it("counts over a 3 s window every second, incrementally, dropping words that left the window", async () => {
    let counts!: Map<number, [string, number][]>;
    let lines!: Map<number, number[]>;
    const { ssc, clock } = await manualContext((s) => {
      const built = buildWindowedCounts(s.queueStream([["tick tock"], ["tock"], ["tock"], ["tock"], []]), 3000, 1000);
      counts = collect(built.counts);
      lines = collect(built.lineCount);
    });
    await ssc.start();
    await clock.advance(5000);
    expect([...counts.values()]).toEqual([
      [["tick", 1], ["tock", 1]],
      [["tick", 1], ["tock", 2]],
      [["tick", 1], ["tock", 3]],
      [["tock", 3]],
      [["tock", 2]],
    ]);
    expect([...lines.values()].map((b) => b[0])).toEqual([1, 2, 3, 3, 2]);
  });
});

describe("join with a static dataset", () => {
  it("joins each batch with the users table through transform and counts clicks per country", async () => {
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchDuration: 1000, clock });
    const clicks = ssc.queueStream([["alice /a", "bob /b", "dana /c", "mallory /d"], ["chen /x"]]);
    const perCountry = collect(buildStaticJoin(ssc, clicks));
    await ssc.start();
    await clock.advance(2000);
    expect([...perCountry.values()]).toEqual([[["FR", 1], ["US", 2]], [["CN", 1]]]);
  });
});

describe("file stream", () => {
  it("counts the words of each new file once", async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchDuration: 1000, clock });
    const files = ssc.textFileStream(dir, { writeFinishMs: 50 });
    const counts = collect(buildFileWordCount(files));
    await ssc.start();
    await putFile(dir, "one.txt", "hello files\nhello\n");
    await vi.waitFor(() => expect(files.pendingFiles).toBe(1), WAIT);
    await clock.advance(1000);
    await putFile(dir, "two.txt", "files again\n");
    await vi.waitFor(() => expect(files.pendingFiles).toBe(1), WAIT);
    await clock.advance(2000);
    expect([...counts.values()]).toEqual([[["files", 1], ["hello", 2]], [["again", 1], ["files", 1]], []]);
  });
});

describe("socket stream", () => {
  it("counts the words a line server on 127.0.0.1 sends", async () => {
    let sent = 0;
    const server = await startLineServer(() => (sent < 3 ? [`hello socket ${sent++}`] : []), 10);
    try {
      const clock = new ManualClock();
      ssc = new StreamingContext({ batchDuration: 1000, clock });
      const counts = collect(buildSocketWordCount(ssc, "127.0.0.1", server.port));
      const input = ssc.graph.inputStreams[0] as unknown as { pendingRecords: number };
      await ssc.start();
      await vi.waitFor(() => expect(input.pendingRecords).toBe(3), WAIT);
      await clock.advance(1000);
      expect([...counts.values()]).toEqual([[["0", 1], ["1", 1], ["2", 1], ["hello", 3], ["socket", 3]]]);
    } finally {
      await ssc?.stop();
      await server.close();
    }
  });
});

