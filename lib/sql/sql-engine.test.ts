import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes, SqlError, StreamingError } from "../../errors.js";
import { RDD } from "../rdd/rdd.js";
import { SqlEngine, sql } from "./sql-engine.js";
import { isSingleStatement } from "./single-statement.js";
import { TempTableRegistry, tempTables } from "./temp-tables.js";

const wordCounts = (pairs: [string, number][]) => RDD.parallelize(pairs, 2);

describe("sql over registered temp tables", () => {
  afterEach(() => tempTables.clear());

  it("queries a table registered from an RDD of tuples", () => {
    wordCounts([["a", 1], ["b", 3], ["c", 2]]).registerTempTable("batch_word_count", ["word", "count"]);
    expect(sql("select * from batch_word_count order by count desc")).toEqual([
      { word: "b", count: 3 },
      { word: "c", count: 2 },
      { word: "a", count: 1 },
    ]);
  });

  it("queries a table registered from an RDD of objects, by column name", () => {
    RDD.parallelize([{ user: "u1", ms: 12.5, ok: true }, { user: "u2", ms: 7, ok: false }, { user: "u3" }]).registerTempTable("hits", ["user", "ms", "ok"]);
    expect(sql("select user, ms, ok from hits order by user")).toEqual([
      { user: "u1", ms: 12.5, ok: 1 },
      { user: "u2", ms: 7, ok: 0 },
      { user: "u3", ms: null, ok: null },
    ]);
    expect(sql("select typeof(ms) t from hits where user = 'u2'")).toEqual([{ t: "real" }]);
  });

  it("sees only the latest batch: re-registering replaces the rows", () => {
    wordCounts([["a", 1], ["b", 2]]).registerTempTable("batch_word_count", ["word", "count"]);
    expect(sql("select count(*) n from batch_word_count")).toEqual([{ n: 2 }]);
    wordCounts([["z", 9]]).registerTempTable("batch_word_count", ["word", "count"]);
    expect(sql("select * from batch_word_count")).toEqual([{ word: "z", count: 9 }]);
    RDD.parallelize<[string, number]>([]).registerTempTable("Batch_Word_Count", ["w", "c"]);
    expect(sql("select * from batch_word_count")).toEqual([]);
    expect(sql("select name from pragma_table_info('batch_word_count')")).toEqual([{ name: "w" }, { name: "c" }]);
  });

  it("runs aggregates and joins across tables", () => {
    wordCounts([["a", 1], ["b", 3], ["a", 6], ["c", 2]]).registerTempTable("counts", ["word", "count"]);
    RDD.parallelize([["a", "vowel"], ["b", "consonant"], ["c", "consonant"]]).registerTempTable("kinds", ["word", "kind"]);
    expect(sql("select count(*) n, sum(count) total, max(count) top, avg(count) mean from counts")).toEqual([{ n: 4, total: 12, top: 6, mean: 3 }]);
    expect(
      sql(`select k.kind, sum(c.count) total from counts c join kinds k on k.word = c.word
           group by k.kind order by total desc`),
    ).toEqual([
      { kind: "vowel", total: 7 },
      { kind: "consonant", total: 5 },
    ]);
  });

  it("stores bigints exactly, objects as JSON, dates as ISO text", () => {
    const big = 2n ** 62n;
    RDD.parallelize([[big, { tags: ["x", "y"] }, new Date(0)], [5n, [1, 2], null]]).registerTempTable("mixed", ["id", "doc", "at"]);
    expect(sql("select id, json_extract(doc, '$.tags[1]') tag, at from mixed where id > 10")).toEqual([
      { id: big, tag: "y", at: "1970-01-01T00:00:00.000Z" },
    ]);
    expect(sql("select id, doc from mixed where id = 5")).toEqual([{ id: 5, doc: "[1,2]" }]);
  });

  it("drops tables removed from the registry", () => {
    RDD.parallelize([1]).registerTempTable("gone", ["n"]);
    expect(sql("select n from gone")).toEqual([{ n: 1 }]);
    tempTables.drop("gone");
    expect(() => sql("select n from gone")).toThrow(/no such table: gone/);
  });

  it("accepts SQL keywords as names, and rejects names that are not identifiers", () => {
    RDD.parallelize([[1, 2]]).registerTempTable("order", ["select", "from"]);
    expect(sql(`select "select" + "from" s from "order"`)).toEqual([{ s: 3 }]);
    const rdd = RDD.parallelize([["x", 1]]);
    expect(() => rdd.registerTempTable('t"; drop table counts; --', ["a", "b"])).toThrow(TypeError);
    expect(() => rdd.registerTempTable("t", ['a" text, "b', "c"])).toThrow(/each column must be an identifier/);
    expect(() => rdd.registerTempTable("t x", ["a", "b"])).toThrow(/identifier/);
    expect(() => rdd.registerTempTable("sqlite_master", ["a", "b"])).toThrow(/reserved/);
    expect(tempTables.names()).toEqual(["order"]);
  });

  it("throws a coded SqlError naming the query, with the sqlite error as cause", () => {
    wordCounts([["a", 1]]).registerTempTable("batch_word_count", ["word", "count"]);
    for (const bad of ["select * from nope", "select wrd from batch_word_count", "selec 1", "select 1; select 2"]) {
      let caught: unknown;
      try {
        sql(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SqlError);
      expect(StreamingError.is(caught, ErrorCodes.SQL_FAILED)).toBe(true);
      const e = caught as SqlError;
      expect(e.message).toContain(JSON.stringify(bad));
      expect(e.message).toContain("registered tables: batch_word_count");
      expect(e.cause).toBeInstanceOf(Error);
    }
    expect(() => sql("select * from nope")).toThrow(/no such table: nope/);
    expect(() => sql("select wrd from batch_word_count")).toThrow(/no such column: wrd/);
  });

  it("refuses statements that change the database", () => {
    wordCounts([["a", 1]]).registerTempTable("batch_word_count", ["word", "count"]);
    for (const bad of ["delete from batch_word_count", "drop table batch_word_count", "create table x (a)"]) {
      expect(() => sql(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.SQL_FAILED, message: expect.stringMatching(/only queries that return rows/) }));
    }
    expect(sql("select count(*) n from batch_word_count")).toEqual([{ n: 1 }]);
  });

  it("rejects a query that is not a string, and rows that cannot be stored", () => {
    expect(() => sql(42 as unknown as string)).toThrow(TypeError);
    expect(() => sql("   ")).toThrow(/non-empty SQL string/);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    RDD.parallelize([[1, cyclic]]).registerTempTable("cyc", ["n", "doc"]);
    expect(() => sql("select 1")).toThrow(expect.objectContaining({ code: ErrorCodes.SQL_FAILED, message: expect.stringMatching(/table "cyc", record 0, column "doc" cannot be stored/) }));
    tempTables.drop("cyc");
    expect(sql("select 1 one")).toEqual([{ one: 1 }]);
  });

  it("opens its database lazily and reopens after close()", () => {
    const registry = new TempTableRegistry();
    const engine = new SqlEngine(registry);
    engine.close();
    registry.register("t", ["n"], [1, 2, 3]);
    expect(engine.query("select sum(n) s from t")).toEqual([{ s: 6 }]);
    engine.close();
    engine.close();
    expect(engine.query("select count(*) c from t")).toEqual([{ c: 3 }]);
    expect(() => sql("select * from t")).toThrow(/no such table/);
  });
});

describe("isSingleStatement", () => {
  it("counts semicolons outside literals, quoted names and comments", () => {
    for (const one of ["select 1", "select 1;", "select 1 ;  -- done", "select ';' a", `select 1 "x;y"`, "select 1 /* ; */", "select [a;b] from t", "select 'it''s; ok'", "select 1; /* c */ -- d"]) {
      expect(isSingleStatement(one), one).toBe(true);
    }
    for (const two of ["select 1; select 2", "select 1;select 2;", "select ';'; drop table t", "select 1 -- c\n; x"]) {
      expect(isSingleStatement(two), two).toBe(false);
    }
  });
});
