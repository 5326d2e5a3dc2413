import { describe, expect, it, vi } from "vitest";
import { ErrorCodes, StreamingError } from "../../../errors.js";
import { CheckpointStore } from "../../../storage/checkpoint-store.js";
import { LevelKv } from "../../../storage/level-kv.js";
import { ManualClock } from "../../clock.js";
import { StreamingContext } from "../../streaming-context.js";
import { CrashBeforeCommitKv } from "../../test-support/crash-before-commit.js";
import { PG_URL, testTable, type TestTable } from "../../test-support/postgres-fixture.js";
import { serviceAvailable } from "../../test-support/services.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";
import { oneMemberGroup, removeGroup } from "../../test-support/group-fixture.js";
import { testStream, uniqueName } from "../../test-support/jetstream-fixture.js";
import { dropJobId } from "../../test-support/legacy-checkpoint.js";
import { resolvePostgresOptions, type PostgresSinkOptions } from "./postgres-options.js";
import { PostgresBatchWriter } from "./postgres-writer.js";

const postgres = await serviceAvailable("postgres");
const nats = await serviceAvailable("nats");
const tempDir = tempDirs("dstream-pg-sink-");
const cleanup = cleanupsAfterEach();

async function table(columns: string): Promise<TestTable> {
  const t = await testTable("dstream_pg_sink", columns);
  cleanup(() => t.remove());
  return t;
}

/** The errors in `err`'s cause chain, outermost first. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** Polls `cond` (a group runs its batches on its own loop) until it holds, with a deadline. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A context saving each queued batch to PostgreSQL. */
async function job<T>(batches: T[][], options: Omit<PostgresSinkOptions, "connectionString"> & { connectionString?: string }, ctx: { dir?: string; kv?: (inner: LevelKv) => LevelKv | CrashBeforeCommitKv; clock?: ManualClock; named?: string } = {}) {
  const clock = ctx.clock ?? new ManualClock(0);
  const setup = (): StreamingContext => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: ctx.kv === undefined ? {} : { openStore: async (d) => CheckpointStore.over(ctx.kv!(await LevelKv.open(d))) } });
    const s = ssc.queueStream(batches.map((b) => [...b]));
    (ctx.named === undefined ? s : s.name(ctx.named)).saveToPostgres({ connectionString: PG_URL, ...options });
    return ssc;
  };
  const ssc = ctx.dir === undefined ? setup() : await StreamingContext.getOrCreate(ctx.dir, setup);
  cleanup(() => ssc.stop().catch(() => undefined));
  await ssc.start();
  return { ssc, clock };
}

describe.skipIf(!postgres)("saveToPostgres", () => {
  it("appends each batch's rows (arrays by position, objects by name) with its ledger row", async () => {
    const t = await table("batch int, word text, n bigint, note text");
    const { clock } = await job<unknown>([[[1, "a", 2, null], { batch: 1, word: "b", n: 3n }], [], [[3, "c", 1, "x"]]], { table: t.name, columns: ["batch", "word", "n", "note"] }, { named: "words" });
    await clock.advance(3000);
    expect(await t.query(`SELECT batch, word, n::int, note FROM "${t.name}" ORDER BY word`)).toEqual([
      { batch: 1, word: "a", n: 2, note: null },
      { batch: 1, word: "b", n: 3, note: null },
      { batch: 3, word: "c", n: 1, note: "x" },
    ]);
    // The sink id comes from the stream's name; an empty batch has its ledger row too.
    expect(await t.ledger()).toEqual([
      { sink_id: "words.saveToPostgres", batch_time: "1000", row_count: 2 },
      { sink_id: "words.saveToPostgres", batch_time: "2000", row_count: 0 },
      { sink_id: "words.saveToPostgres", batch_time: "3000", row_count: 1 },
    ]);
  });

  it("splits a large batch into multi-row INSERTs within PostgreSQL's parameter limit", async () => {
    const t = await table("a int, b int, c int");
    const rows = Array.from({ length: 30_000 }, (_, i) => [i, i % 7, -i]);
    const { clock } = await job([rows], { table: t.name, columns: ["a", "b", "c"] });
    await clock.advance(1000);
    expect(await t.query(`SELECT count(*)::int AS n, sum(a)::bigint::text AS s FROM "${t.name}"`)).toEqual([{ n: 30_000, s: String((29_999 * 30_000) / 2) }]);
  });

  it("a batch re-run after a crash between PostgreSQL's commit and dstream's commit writes nothing twice", async () => {
    const t = await table("word text, n int");
    const dir = await tempDir();
    const input = [[["a", 1]], [["b", 2], ["c", 3]], [["d", 4]]];
    let kv: CrashBeforeCommitKv | undefined;
    const first = await job(input, { table: t.name, columns: ["word", "n"] }, { dir, kv: (inner) => (kv = new CrashBeforeCommitKv(inner)) });
    await first.clock.advance(1000);
    kv!.armed = true;
    await expect(first.clock.advance(1000)).rejects.toThrow(/Simulated crash/);
    // PostgreSQL committed batch 2000; dstream did not.
    expect((await t.ledger()).map((l) => l.batch_time)).toEqual(["1000", "2000"]);
    await first.ssc.stop().catch(() => undefined);
    await kv!.inner.close();
    const second = await job(input.slice(2), { table: t.name, columns: ["word", "n"] }, { dir, clock: new ManualClock(first.clock.now()) });
    expect(second.ssc.recovered).toBe(true);
    await second.clock.advance(1000);
    expect(await t.query(`SELECT word, n FROM "${t.name}" ORDER BY word`)).toEqual([
      { word: "a", n: 1 },
      { word: "b", n: 2 },
      { word: "c", n: 3 },
      { word: "d", n: 4 },
    ]);
    expect((await t.ledger()).map((l) => l.batch_time)).toEqual(["1000", "2000", "3000"]);
    // The job id is kept in the checkpoint: the restarted job found batch 2000's row as its own.
    expect(second.ssc.jobId).toMatch(/^[0-9a-f]{16}$/);
    expect(second.ssc.jobId).toBe(first.ssc.jobId);
    expect(await t.query(`SELECT DISTINCT job FROM dstream_sink_ledger WHERE target = $1`, [t.name])).toEqual([{ job: second.ssc.jobId }]);
  });

  it("a second job writing the same table under the same sink id fails its batch with SINK_CONFLICT, naming the other job and the fix (before: the batch was skipped as written)", async () => {
    const t = await table("word text");
    const first = await job([[["a"]]], { table: t.name, columns: ["word"] }, { dir: await tempDir(), named: "words" });
    await first.clock.advance(1000);
    await first.ssc.stop();
    // Another checkpointed job, then a job without a checkpoint: each its own job.
    for (const dir of [await tempDir(), undefined]) {
      const other = await job([[["b"]]], { table: t.name, columns: ["word"] }, { ...(dir === undefined ? {} : { dir }), named: "words" });
      expect(other.ssc.jobId).toBeTypeOf("string");
      expect(other.ssc.jobId).not.toBe(first.ssc.jobId);
      await expect(other.clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED });
      const err = (await other.ssc.awaitTermination().catch((e: unknown) => e)) as Error;
      const conflict = (err as { cause?: unknown }).cause as Error;
      expect(StreamingError.is(conflict, ErrorCodes.SINK_CONFLICT)).toBe(true);
      expect(conflict.message).toBe(
        `saveToPostgres(${t.name}): batch 1000 ms of sink words.saveToPostgres was already written to ${t.name} by another job (job ${first.ssc.jobId} in ledger dstream_sink_ledger; this job is ${other.ssc.jobId}), so this job's rows of that batch were not written. ` +
          `Two jobs write ${t.name} under the same sink id, and each would take the other's batches for its own: give one of the sinks its own id with the option name: "…", or write to another table`,
      );
    }
    expect(await t.query(`SELECT word FROM "${t.name}"`)).toEqual([{ word: "a" }]);
  });

  it("a ledger table from before job ids gets its job column; its rows (job NULL) still count as written, and a job whose checkpoint predates job ids writes NULL", async () => {
    const t = await table("word text");
    const ledger = uniqueName("dstream_old_ledger");
    // The ledger as the builds before job ids created it, with a row of batch 1000.
    await t.query(`CREATE TABLE "${ledger}" (target text NOT NULL, sink_id text NOT NULL, batch_time bigint NOT NULL, row_count integer NOT NULL, written_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (target, sink_id, batch_time))`);
    cleanup(() => t.query(`DROP TABLE IF EXISTS "${ledger}"`));
    await t.query(`INSERT INTO "${ledger}" (target, sink_id, batch_time, row_count) VALUES ($1, 'words.saveToPostgres', 1000, 1)`, [t.name]);
    const dir = await tempDir();
    const first = await job([[["a"]], [["b"]]], { table: t.name, columns: ["word"], ledgerTable: ledger }, { dir, named: "words" });
    await first.clock.advance(2000);
    await first.ssc.stop();
    await dropJobId(dir);
    const second = await job([[["c"]]], { table: t.name, columns: ["word"], ledgerTable: ledger }, { dir, named: "words", clock: new ManualClock(2000) });
    expect(second.ssc.recovered).toBe(true);
    expect(second.ssc.jobId).toBeUndefined();
    await second.clock.advance(1000);
    expect(await t.query(`SELECT word FROM "${t.name}" ORDER BY word`)).toEqual([{ word: "b" }, { word: "c" }]);
    expect(await t.query(`SELECT batch_time::int AS t, job FROM "${ledger}" ORDER BY batch_time`)).toEqual([
      { t: 1000, job: null },
      { t: 2000, job: first.ssc.jobId },
      { t: 3000, job: null },
    ]);
  });

  it.skipIf(!nats)("in a group every member is the same job: a re-run by another member is skipped; a batch another job wrote stops the member with SINK_CONFLICT, not retried", async () => {
    const t = await table("word text");
    const input = await testStream();
    cleanup(() => input.remove());
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));
    await input.publish(0, "a");
    const { ssc, clock, completed } = oneMemberGroup(input, group, (values) =>
      values
        .map((v) => [v])
        .name("out")
        .saveToPostgres({ connectionString: PG_URL, table: t.name, columns: ["word"] }),
    );
    cleanup(() => ssc.stop().catch(() => undefined));
    await ssc.start();
    const jobId = ssc.jobId;
    expect(jobId).toMatch(new RegExp(`^group:${group}:[0-9a-f]{16}$`));
    await until("the member to hold partition 0", () => ssc.group!.owned().length === 1);
    await clock.advance(1000);
    await until("batch 1000", () => completed.includes(1000));
    expect(await t.query(`SELECT sink_id, batch_time::int AS t, job FROM dstream_sink_ledger WHERE target = $1`, [t.name])).toEqual([{ sink_id: "out.saveToPostgres/p0", t: 1000, job: jobId }]);
    // Another member re-running batch 1000 (after a failover) writes under the group's job id (every
    // member reads it from the group's meta): skipped.
    const member = new PostgresBatchWriter(resolvePostgresOptions({ connectionString: PG_URL, table: t.name, columns: ["word"] }));
    cleanup(() => member.close());
    expect(await member.write("out.saveToPostgres/p0", 1000, [["a"]], jobId)).toBe("already-written");
    // Another job wrote batch 2000 under the same sink id.
    expect(await member.write("out.saveToPostgres/p0", 2000, [["x"]], "another-job")).toBe("written");
    const warn = vi.spyOn(console, "warn");
    cleanup(async () => warn.mockRestore());
    await clock.advance(1000);
    const err = await ssc.awaitTermination().catch((e: unknown) => e);
    expect(causes(err).some((e) => StreamingError.is(e, ErrorCodes.SINK_CONFLICT))).toBe(true);
    expect(String(err)).toMatch(/by another job \(job another-job in ledger dstream_sink_ledger; this job is group:/);
    expect(warn.mock.calls.filter((c) => /retrying/.test(String(c[0])))).toEqual([]);
    expect(await t.query(`SELECT word FROM "${t.name}" ORDER BY word`)).toEqual([{ word: "a" }, { word: "x" }]);
  });

  it("upsert mode updates rows by the conflict key; the last row of a key in a batch wins", async () => {
    const t = await table("word text PRIMARY KEY, total int, seen int");
    const { clock } = await job(
      [
        [["a", 1, 1], ["b", 1, 1], ["a", 5, 2]],
        [["b", 7, 3], ["c", 1, 3]],
      ],
      { table: t.name, columns: ["word", "total", "seen"], mode: "upsert", key: ["word"] },
    );
    await clock.advance(2000);
    expect(await t.query(`SELECT word, total, seen FROM "${t.name}" ORDER BY word`)).toEqual([
      { word: "a", total: 5, seen: 2 },
      { word: "b", total: 7, seen: 3 },
      { word: "c", total: 1, seen: 3 },
    ]);
  });

  it("a failure half-way through a batch rolls everything back and fails the batch with SINK_FAILED", async () => {
    // The first 33 statements (2,000 rows each) go in; the 34th breaks the constraint.
    const t = await table("n int CHECK (n < 66000)");
    const rows = Array.from({ length: 70_000 }, (_, i) => [i]);
    const { clock, ssc } = await job([rows], { table: t.name, columns: ["n"] });
    await expect(clock.advance(1000)).rejects.toThrow(/check constraint/);
    const err = await ssc.awaitTermination().catch((e: unknown) => e);
    expect(StreamingError.is((err as Error).cause, ErrorCodes.SINK_FAILED)).toBe(true);
    expect(await t.query(`SELECT count(*)::int AS n FROM "${t.name}"`)).toEqual([{ n: 0 }]);
    expect(await t.ledger()).toEqual([]);
  });

  it("a connection that fails fails the batch; after a restart the batch is written", async () => {
    const t = await table("n int");
    const dir = await tempDir();
    const first = await job([[[1], [2]]], { table: t.name, columns: ["n"], connectionString: "postgres://postgres@127.0.0.1:1/test" }, { dir });
    await expect(first.clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED });
    await expect(first.ssc.awaitTermination()).rejects.toThrow(/saveToPostgres.*not written.*ECONNREFUSED.*Is PostgreSQL running there\? Check the connectionString option$/s);
    const second = await job([], { table: t.name, columns: ["n"] }, { dir, clock: new ManualClock(first.clock.now()) });
    expect(second.ssc.recovered).toBe(true);
    expect(await t.query(`SELECT n FROM "${t.name}" ORDER BY n`)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("a target table that does not exist fails the batch saying to create it", async () => {
    const { clock, ssc } = await job([[[1]]], { table: `dstream_missing_${process.pid}`, columns: ["n"] });
    await expect(clock.advance(1000)).rejects.toMatchObject({ code: ErrorCodes.JOB_FAILED });
    await expect(ssc.awaitTermination()).rejects.toThrow(/does not exist\. Create the target table first: saveToPostgres creates only its ledger table$/);
  });

  it("checks its options and its records", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000 });
    const s = ssc.queueStream<unknown>([]);
    const base = { connectionString: PG_URL, table: "t", columns: ["a"] };
    expect(() => s.saveToPostgres({ ...base, connectionString: "mysql://x" })).toThrow(/connectionString/);
    expect(() => s.saveToPostgres({ ...base, table: "drop table; --" })).toThrow(/table must be/);
    expect(() => s.saveToPostgres({ ...base, columns: [] })).toThrow(/columns/);
    expect(() => s.saveToPostgres({ ...base, mode: "upsert" })).toThrow(/needs key/);
    expect(() => s.saveToPostgres({ ...base, mode: "upsert", key: ["b"] })).toThrow(/not among columns/);
    expect(() => s.saveToPostgres({ ...base, key: ["a"] })).toThrow(/needs mode "upsert"/);
    const named = s.name("src");
    named.saveToPostgres(base);
    expect(() => named.saveToPostgres(base)).toThrow(/sink id "src.saveToPostgres" is taken.*name/);
    named.saveToPostgres({ ...base, name: "second" });
    const { rowOf } = await import("./save-to-postgres.js");
    expect(() => rowOf([1, 2], ["a"], 4)).toThrow(/record 4 has 2 values/);
    expect(() => rowOf("x", ["a"], 0)).toThrow(/record 0 is a string/);
  });
});
