import pg from "pg";
import { ErrorCodes, StreamingError } from "../../../errors.js";
import type { Time } from "../../time.js";
import type { ResolvedPostgresOptions } from "./postgres-options.js";
import { HAS_JOB_COLUMN, MAX_PARAMS, addJobColumnDdl, insertSql, ledgerDdl, quoteName } from "./postgres-sql.js";

/**
 * Rows per INSERT: PostgreSQL plans a giant VALUES list slower than a few mid-sized ones (measured
 * here: 21,845-row statements ~10-40% slower than 2,000-row ones, with much noise).
 */
const ROWS_PER_STATEMENT = 2000;

/** Node's codes for a server that cannot be reached, and PostgreSQL's for a missing table. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EAI_AGAIN"]);
const UNDEFINED_TABLE = "42P01";
const INSUFFICIENT_PRIVILEGE = "42501";

/** How to fix the errors a first run meets (the server is not running, the table was never created), or "". */
function fix(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNREACHABLE.has(code)) return ". Is PostgreSQL running there? Check the connectionString option";
  if (code === UNDEFINED_TABLE) return ". Create the target table first: saveToPostgres creates only its ledger table";
  return "";
}

/** What {@link PostgresBatchWriter.write} did. */
export type WriteOutcome = "written" | "already-written";

/**
 * Writes one batch's rows exactly once: in ONE transaction, first the ledger row (target table,
 * sink id, batch time, and the job writing it), then the rows in multi-row INSERTs. A batch whose
 * ledger row is already there (a re-run after a crash between PostgreSQL's commit and dstream's)
 * writes nothing; a second writer of the same batch waits on the ledger row's key and then finds
 * it. A row another job wrote (another job id; a NULL job is a row from before job ids, taken as
 * this job's) fails the batch with SINK_CONFLICT: two jobs write the table under one sink id. Any
 * other error rolls the transaction back: nothing is half-written, and the error is SINK_FAILED.
 *
 * Independent of DStreams: a group member (DESIGN.md §10) writes its partition's rows under a
 * sink id that names the partition.
 */
export class PostgresBatchWriter {
  private pool: pg.Pool | undefined;
  private ledgerReady: Promise<void> | undefined;

  constructor(readonly options: ResolvedPostgresOptions) {}

  private get db(): pg.Pool {
    if (this.pool === undefined) {
      // allowExitOnIdle: an idle pool does not keep a finished job's process alive.
      const pool = new pg.Pool({ connectionString: this.options.connectionString, max: 1, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000, allowExitOnIdle: true });
      // A server that drops an idle connection must not crash the process; the next batch reconnects.
      pool.on("error", () => undefined);
      this.pool = pool;
    }
    return this.pool;
  }

  /**
   * Writes `rows` as batch `time` of `sinkId` of job `jobId` (undefined: a job whose checkpoint
   * has no job id), unless the ledger says it was written.
   */
  async write(sinkId: string, time: Time, rows: unknown[][], jobId: string | undefined): Promise<WriteOutcome> {
    const { table, ledgerTable, columns, mode, key, ledgerRetention } = this.options;
    let client: pg.PoolClient | undefined;
    let failure: unknown;
    try {
      await (this.ledgerReady ??= this.createLedger().catch((err: unknown) => {
        this.ledgerReady = undefined;
        throw err;
      }));
      client = await this.db.connect();
      await client.query("BEGIN");
      const claimed = await client.query(`INSERT INTO ${quoteName(ledgerTable)} (target, sink_id, batch_time, row_count, job) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
        table,
        sinkId,
        time,
        rows.length,
        jobId ?? null,
      ]);
      if (claimed.rowCount === 0) {
        // The row the INSERT found, committed (the INSERT waited for its writer): READ COMMITTED sees
        // it in this statement; REPEATABLE READ would have failed the INSERT instead.
        const found = await client.query<{ job: string | null }>(`SELECT job FROM ${quoteName(ledgerTable)} WHERE target = $1 AND sink_id = $2 AND batch_time = $3`, [table, sinkId, time]);
        await client.query("ROLLBACK");
        const writer = found.rows[0]?.job ?? null;
        if (writer !== null && writer !== jobId) throw this.conflict(sinkId, time, writer, jobId);
        return "already-written";
      }
      const data = mode === "upsert" ? lastPerKey(rows, columns, key) : rows;
      const perStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_PARAMS / columns.length)));
      for (let at = 0; at < data.length; at += perStatement) {
        const chunk = data.slice(at, at + perStatement);
        await client.query(insertSql(table, columns, chunk.length, mode === "upsert" ? key : undefined), chunk.flat());
      }
      if (ledgerRetention > 0) await client.query(`DELETE FROM ${quoteName(ledgerTable)} WHERE target = $1 AND sink_id = $2 AND batch_time < $3`, [table, sinkId, time - ledgerRetention]);
      await client.query("COMMIT");
      return "written";
    } catch (err) {
      // Rolled back already, and the connection is fine.
      if (StreamingError.is(err, ErrorCodes.SINK_CONFLICT)) throw err;
      failure = err;
      await client?.query("ROLLBACK").catch(() => undefined);
      throw new StreamingError(ErrorCodes.SINK_FAILED, `saveToPostgres(${table}): batch ${time} ms of sink ${sinkId} was not written (rolled back; it is written when the batch re-runs after a restart): ${(err as Error)?.message ?? String(err)}${fix(err)}`, { cause: err });
    } finally {
      // A client that failed is discarded, not reused: its connection may be broken.
      client?.release(failure === undefined ? undefined : true);
    }
  }

  private conflict(sinkId: string, time: Time, writer: string, jobId: string | undefined): StreamingError {
    const { table, ledgerTable } = this.options;
    const self = jobId === undefined ? "this job's checkpoint predates job ids" : `this job is ${jobId}`;
    return new StreamingError(
      ErrorCodes.SINK_CONFLICT,
      `saveToPostgres(${table}): batch ${time} ms of sink ${sinkId} was already written to ${table} by another job (job ${writer} in ledger ${ledgerTable}; ${self}), so this job's rows of that batch were not written. ` +
        `Two jobs write ${table} under the same sink id, and each would take the other's batches for its own: give one of the sinks its own id with the option name: "…", or write to another table`,
    );
  }

  private async createLedger(): Promise<void> {
    const { ledgerTable } = this.options;
    try {
      await this.db.query(ledgerDdl(ledgerTable));
    } catch (err) {
      // Two writers creating the table at once: one wins, the other sees a duplicate type.
      if ((err as { code?: string }).code !== "23505" && (err as { code?: string }).code !== "42P07") throw err;
    }
    // A ledger created before job ids existed gets the column (checked first: ALTER TABLE locks
    // the table even when the column is there). Its rows keep NULL, which the claim honours.
    if ((await this.db.query(HAS_JOB_COLUMN, [quoteName(ledgerTable)])).rowCount !== 0) return;
    try {
      await this.db.query(addJobColumnDdl(ledgerTable));
    } catch (err) {
      // Two writers adding it at once.
      if ((err as { code?: string }).code === "42701") return;
      if ((err as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
        throw new Error(`the ledger table ${ledgerTable} has no job column (an older dstream created it) and this role may not add it: run ALTER TABLE ${quoteName(ledgerTable)} ADD COLUMN job text as its owner (${(err as Error).message})`, { cause: err });
      }
      throw err;
    }
  }

  /** Closes the connection. Idempotent; a later write reconnects. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

/**
 * One row per key, the last one of the batch: PostgreSQL refuses a statement whose ON CONFLICT DO
 * UPDATE touches a row twice, and the last value is what row-by-row upserts would leave.
 */
function lastPerKey(rows: unknown[][], columns: readonly string[], key: readonly string[]): unknown[][] {
  const at = key.map((k) => columns.indexOf(k));
  const byKey = new Map<string, unknown[]>();
  for (const row of rows) {
    const k = JSON.stringify(at.map((i) => row[i]));
    byKey.delete(k);
    byKey.set(k, row);
  }
  return [...byKey.values()];
}
