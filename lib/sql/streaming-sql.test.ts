import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { tempTables } from "./temp-tables.js";

describe("ssc.sql over a streaming job", () => {
  afterEach(() => tempTables.clear());

  it("sees the latest batch of each table the job registers", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const lines = ssc.queueStream([["a b a", "c"], ["b b"]]);
    const counts = lines.flatMap((l) => l.split(" ")).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b);
    counts.foreachRDD((rdd) => rdd.registerTempTable("batch_word_count", ["word", "count"]));
    lines.count().foreachRDD((rdd, time) => rdd.map((n) => ({ time, n })).registerTempTable("batch_sizes", ["time", "n"]));
    await ssc.start();
    try {
      await clock.advance(1000);
      expect(ssc.sql("select * from batch_word_count order by count desc, word")).toEqual([
        { word: "a", count: 2 },
        { word: "b", count: 1 },
        { word: "c", count: 1 },
      ]);
      expect(ssc.sql("select time, n from batch_sizes")).toEqual([{ time: 1000, n: 2 }]);

      await clock.advance(1000);
      expect(ssc.sql("select word, count from batch_word_count")).toEqual([{ word: "b", count: 2 }]);
      expect(ssc.sql("select s.time, sum(w.count) words from batch_sizes s, batch_word_count w group by s.time")).toEqual([{ time: 2000, words: 2 }]);
      expect(() => ssc.sql("select * from batch_word_counts")).toThrow(expect.objectContaining({ code: ErrorCodes.SQL_FAILED }));
    } finally {
      await ssc.stop();
    }
    // The tables are process-wide (Spark's SQLContext): they outlive the context.
    expect(ssc.sql("select count(*) n from batch_word_count")).toEqual([{ n: 1 }]);
  });
});
