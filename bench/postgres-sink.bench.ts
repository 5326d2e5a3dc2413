/**
 * PostgreSQL sink: rows per second of `saveToPostgres` (a queueStream of ready rows, one
 * transaction per batch with its ledger row, multi-row INSERTs) against bare `pg` writing the same
 * rows with the same multi-row INSERTs in one transaction per batch, without a ledger. Needs
 * PostgreSQL on 127.0.0.1:5432.
 *
 *   npx tsx bench/postgres-sink.bench.ts [--smoke]
 */
import pg from "pg";
import { ManualClock } from "../lib/clock.js";
import { StreamingContext } from "../lib/streaming-context.js";
import { MAX_PARAMS, insertSql } from "../lib/sinks/postgres/postgres-sql.js";
import { uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { PG_URL } from "../lib/test-support/postgres-fixture.js";
import { isMain, main, median, type BenchOptions, type BenchResult } from "./common.js";

const COLUMNS = ["batch_time", "word", "count"];

function batchesOf(batches: number, perBatch: number): [number, string, number][][] {
  return Array.from({ length: batches }, (_, b) => Array.from({ length: perBatch }, (_, i): [number, string, number] => [(b + 1) * 1000, `word-${i}`, (i * 7) % 100]));
}

async function dstreamRate(table: string, batches: [number, string, number][][]): Promise<number> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.queueStream(batches.map((b) => b)).saveToPostgres({ connectionString: PG_URL, table, columns: COLUMNS });
  await ssc.start();
  const t0 = performance.now();
  await clock.advance(batches.length * 1000);
  const ms = performance.now() - t0;
  await ssc.stop();
  return rows(batches) / (ms / 1000);
}

async function bareRate(db: pg.Client, table: string, batches: [number, string, number][][]): Promise<number> {
  // As the sink does (postgres-writer.ts): at most 2,000 rows per statement.
  const perStatement = Math.min(2000, Math.floor(MAX_PARAMS / COLUMNS.length));
  const t0 = performance.now();
  for (const batch of batches) {
    await db.query("BEGIN");
    for (let at = 0; at < batch.length; at += perStatement) {
      const chunk = batch.slice(at, at + perStatement);
      await db.query(insertSql(table, COLUMNS, chunk.length, undefined), chunk.flat());
    }
    await db.query("COMMIT");
  }
  return rows(batches) / ((performance.now() - t0) / 1000);
}

function rows(batches: readonly unknown[][]): number {
  return batches.reduce((n, b) => n + b.length, 0);
}

export async function run({ smoke }: BenchOptions): Promise<BenchResult> {
  const batches = batchesOf(smoke ? 3 : 10, smoke ? 1000 : 50_000);
  const rounds = smoke ? 1 : 3;
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  const ours: number[] = [];
  const bare: number[] = [];
  const tables: string[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const which of ["bare", "dstream"] as const) {
        const table = uniqueName("dstream_bench");
        tables.push(table);
        await db.query(`CREATE UNLOGGED TABLE "${table}" (batch_time bigint, word text, count int)`);
        if (which === "bare") bare.push(await bareRate(db, table, batches));
        else ours.push(await dstreamRate(table, batches));
        const n = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0]?.n;
        if (n !== rows(batches)) throw new Error(`${which}: ${n} rows in the table, expected ${rows(batches)}`);
      }
    }
  } finally {
    for (const t of tables) {
      await db.query(`DROP TABLE IF EXISTS "${t}"`);
      await db.query(`DELETE FROM dstream_sink_ledger WHERE target = $1`, [t]).catch(() => undefined);
    }
    await db.end();
  }
  const d = median(ours);
  const b = median(bare);
  return {
    name: "PostgreSQL sink (rows/s)",
    figures: { "bare pg multi-row INSERT rows/s": b, "dstream saveToPostgres rows/s": d },
    ratios: { "dstream/bare pg": d / b },
    notes: [`${batches.length} batches x ${batches[0]?.length.toLocaleString("en-US")} rows (bigint, text, int), unlogged tables, one transaction per batch, median of ${rounds} rounds`],
  };
}

if (isMain(import.meta.url)) await main(run);
