import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JobError } from "../../errors.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import type { DStream } from "./internal.js";

/** Runs `register` on a queue stream of `input`, for `batches` batches (default: input length). */
async function run<T>(input: T[][], register: (s: DStream<T>) => void, batches = input.length): Promise<void> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  register(ssc.queueStream(input.map((b) => [...b])));
  await ssc.start();
  try {
    await clock.advance(1000 * batches);
  } finally {
    await ssc.stop();
  }
}

const rule = "-------------------------------------------";
const header = (t: number): string[] => [rule, `Time: ${t} ms`, rule];

describe("print", () => {
  let printed: string[];
  beforeEach(() => {
    printed = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
  });
  afterEach(() => vi.restoreAllMocks());
  /** What reached stdout, line by line (console.log adds the final newline). */
  const lines = (): string[] => printed.map((p) => `${p}\n`).join("").split("\n");

  it("prints Spark's header, up to 10 elements, '...' when there are more, and a blank line", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => i);
    await run([[1, 2], eleven, []], (s) => s.print());
    expect(lines()).toEqual([
      ...header(1000), "1", "2", "",
      ...header(2000), ...eleven.slice(0, 10).map(String), "...", "",
      ...header(3000), "",
      "",
    ]);
  });

  it("print(n) prints n elements; exactly n elements get no '...'", async () => {
    await run([["a", "b", "c"], ["x", "y"]], (s) => s.print(2));
    expect(lines()).toEqual([...header(1000), "a", "b", "...", "", ...header(2000), "x", "y", "", ""]);
  });

  it("print(0) prints only the header, and '...' when the batch has data", async () => {
    await run([[1], []], (s) => s.print(0));
    expect(lines()).toEqual([...header(1000), "...", "", ...header(2000), "", ""]);
  });

  it("prints strings as they are and other records as JSON", async () => {
    await run([[["w", 5], { k: 1 }, "plain", 2.5]], (s) => s.print());
    expect(lines()).toEqual([...header(1000), '["w",5]', '{"k":1}', "plain", "2.5", "", ""]);
  });

  it("rejects a negative or fractional count (RangeError)", () => {
    const s = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }).queueStream<number>([]);
    expect(() => s.print(-1)).toThrow(RangeError);
    expect(() => s.print(1.5)).toThrow(RangeError);
  });
});

describe("foreachRDD", () => {
  it("runs a sync function on every batch with its time, in order", async () => {
    const seen: [number, number[]][] = [];
    await run([[1], [], [2, 3]], (s) => s.foreachRDD((rdd, t) => void seen.push([t, rdd.collect()])));
    expect(seen).toEqual([
      [1000, [1]],
      [2000, []],
      [3000, [2, 3]],
    ]);
  });

  it("awaits an async function before the next output operation and the next batch", async () => {
    const log: string[] = [];
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    await run([[1], [2]], (s) => {
      s.foreachRDD(async (rdd, t) => {
        log.push(`a start ${t}`);
        await tick();
        log.push(`a end ${rdd.collect().join()}`);
      });
      s.foreachRDD(async (_rdd, t) => {
        log.push(`b start ${t}`);
        await tick();
        log.push("b end");
      });
    });
    expect(log).toEqual(["a start 1000", "a end 1", "b start 1000", "b end", "a start 2000", "a end 2", "b start 2000", "b end"]);
  });

  it("a rejected promise fails the batch with a JobError and later batches do not run", async () => {
    const boom = new Error("async boom");
    const times: number[] = [];
    const err = await run([[1], [2], [3]], (s) =>
      s.foreachRDD(async (_rdd, t) => {
        times.push(t);
        if (t === 2000) throw boom;
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({ batchTime: 2000, outputOperation: 0, cause: boom });
    expect(times).toEqual([1000, 2000]);
  });

  it("runs only at the slide of a windowed parent", async () => {
    const times: number[] = [];
    await run([[1], [2], [3], [4]], (s) => s.window(2000, 2000).foreachRDD((_r, t) => void times.push(t)));
    expect(times).toEqual([2000, 4000]);
  });
});

describe("saveAsTextFiles", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dstream-save-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const input = [["hello", "world"], [], ["again"]];

  it("writes one file per batch, prefix-<time>.suffix, one record per line", async () => {
    await run(input, (s) => s.saveAsTextFiles(join(dir, "out"), "txt"));
    expect((await readdir(dir)).sort()).toEqual(["out-1000.txt", "out-2000.txt", "out-3000.txt"]);
    expect(await readFile(join(dir, "out-1000.txt"), "utf8")).toBe("hello\nworld\n");
    expect(await readFile(join(dir, "out-2000.txt"), "utf8")).toBe("");
    expect(await readFile(join(dir, "out-3000.txt"), "utf8")).toBe("again\n");
  });

  it("without a suffix names files prefix-<time>; non-strings are written as JSON", async () => {
    await run([["a", "b", "a"]], (s) =>
      s
        .map((w): [string, number] => [w, 1])
        .reduceByKey((a, b) => a + b)
        .saveAsTextFiles(join(dir, "counts")),
    );
    expect(await readdir(dir)).toEqual(["counts-1000"]);
    expect(await readFile(join(dir, "counts-1000"), "utf8")).toBe('["a",2]\n["b",1]\n');
  });

  it("a second run of the same batches leaves one identical file per batch", async () => {
    await run(input, (s) => s.saveAsTextFiles(join(dir, "out"), "txt"));
    const first = await Promise.all(["1000", "2000", "3000"].map((t) => readFile(join(dir, `out-${t}.txt`), "utf8")));
    await run(input, (s) => s.saveAsTextFiles(join(dir, "out"), "txt"));
    expect((await readdir(dir)).sort()).toEqual(["out-1000.txt", "out-2000.txt", "out-3000.txt"]);
    const second = await Promise.all(["1000", "2000", "3000"].map((t) => readFile(join(dir, `out-${t}.txt`), "utf8")));
    expect(second).toEqual(first);
  });

  it("creates missing directories of the prefix", async () => {
    await run([["x"]], (s) => s.saveAsTextFiles(join(dir, "a", "b", "out")));
    expect(await readFile(join(dir, "a", "b", "out-1000"), "utf8")).toBe("x\n");
  });

  it("a batch re-run after a crash mid-write replaces the temporary file it left; none remains", async () => {
    await writeFile(join(dir, "out-1000.tmp"), "half a bat");
    await run([["x", "y"]], (s) => s.saveAsTextFiles(join(dir, "out")));
    expect(await readdir(dir)).toEqual(["out-1000"]);
    expect(await readFile(join(dir, "out-1000"), "utf8")).toBe("x\ny\n");
  });

  it("a write that fails fails the batch and leaves no partial file", async () => {
    await writeFile(join(dir, "not-a-dir"), "");
    const err = await run([["x"]], (s) => s.saveAsTextFiles(join(dir, "not-a-dir", "out"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(await readdir(dir)).toEqual(["not-a-dir"]);
  });

  it("rejects a missing prefix or a non-string suffix (TypeError)", () => {
    const s = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() }).queueStream<number>([]);
    expect(() => s.saveAsTextFiles("")).toThrow(TypeError);
    expect(() => s.saveAsTextFiles(join(dir, "p"), 3 as never)).toThrow(TypeError);
  });
});
