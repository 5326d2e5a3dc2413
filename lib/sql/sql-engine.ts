/**
 * SQL over the temporary tables: an in-memory SQLite database (better-sqlite3) that mirrors the
 * latest batch of every table in the process-wide {@link tempTables} registry. The native module
 * is loaded and the database created on the first query, so jobs that never query pay nothing.
 * Registering a table only stores its rows; the next query copies every table registered since
 * the previous one into SQLite, all in one transaction, so a query sees whole batches.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { ErrorCodes, SqlError } from "../../errors.js";
import { describe } from "../rdd/validate.js";
import { columnType, fromSqlValue, toSqlValue, type SqlValue } from "./column-types.js";
import { assertIdentifier, quoteIdentifier } from "./identifiers.js";
import { tempTables, type TempTable, type TempTableRegistry } from "./temp-tables.js";

const requireCjs = createRequire(import.meta.url);

/** One result row: column name → value. */
export type SqlRow = Record<string, unknown>;

/** Runs SQL queries over the latest batch of each table of a {@link TempTableRegistry}. */
export class SqlEngine {
  readonly #registry: TempTableRegistry;
  #db: BetterSqlite3.Database | undefined;
  /** What SQLite holds, by lower-case table name: the registry entry it was copied from. */
  readonly #loaded = new Map<string, TempTable>();

  constructor(registry: TempTableRegistry = tempTables) {
    this.#registry = registry;
  }

  /**
   * Runs one read-only statement (`SELECT`, `WITH`, `VALUES`, ...) and returns its rows. Integers
   * come back as numbers (as bigints beyond `Number.MAX_SAFE_INTEGER`), booleans as 0/1, objects
   * as JSON text. Result columns with the same name overwrite each other: name them with `AS`.
   * Throws a `SqlError` (`DSTREAM_SQL_FAILED`) when the query cannot be prepared or run.
   */
  query(query: string): SqlRow[] {
    if (typeof query !== "string" || query.trim() === "") {
      throw new TypeError(`sql(query) expects a non-empty SQL string such as "select * from batch_word_count"; got ${describe(query)}`);
    }
    const db = this.#open(query);
    let stmt: BetterSqlite3.Statement;
    try {
      this.#sync(db);
      stmt = db.prepare(query);
    } catch (err) {
      throw this.#failure(query, err);
    }
    if (!stmt.reader || !stmt.readonly) {
      throw new SqlError(ErrorCodes.SQL_FAILED, `sql(${quoteQuery(query)}) failed: only queries that return rows are supported (the tables are the registered batches; replace one with rdd.registerTempTable(name, columns))`);
    }
    try {
      const names = stmt.columns().map((c) => c.name);
      const rows = stmt.raw(true).safeIntegers(true).all() as unknown[][];
      return rows.map((values) => {
        const row: SqlRow = {};
        names.forEach((name, i) => (row[name] = fromSqlValue(values[i])));
        return row;
      });
    } catch (err) {
      throw this.#failure(query, err);
    }
  }

  /** Closes the database (idempotent); the next query opens a new one and reloads every table. */
  close(): void {
    this.#db?.close();
    this.#db = undefined;
    this.#loaded.clear();
  }

  #open(query: string): BetterSqlite3.Database {
    if (this.#db !== undefined) return this.#db;
    let Database: typeof BetterSqlite3;
    try {
      Database = requireCjs("better-sqlite3") as typeof BetterSqlite3;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new SqlError(ErrorCodes.SQL_FAILED, `sql(${quoteQuery(query)}) failed: the SQLite engine (better-sqlite3) could not be loaded (${why}); reinstall it with "npm rebuild better-sqlite3"`, { cause: err });
    }
    this.#db = new Database(":memory:");
    return this.#db;
  }

  /** Brings SQLite up to date with the registry: changed tables replaced, dropped ones dropped. */
  #sync(db: BetterSqlite3.Database): void {
    const current = new Map<string, TempTable>();
    for (const name of this.#registry.names()) {
      const table = this.#registry.get(name);
      if (table !== undefined) current.set(name.toLowerCase(), table);
    }
    const stale = [...this.#loaded.keys()].filter((key) => !current.has(key));
    const changed = [...current].filter(([key, table]) => this.#loaded.get(key) !== table);
    if (stale.length === 0 && changed.length === 0) return;
    db.transaction(() => {
      for (const key of stale) db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(key)}`);
      for (const [, table] of changed) load(db, table);
    })();
    for (const key of stale) this.#loaded.delete(key);
    for (const [key, table] of changed) this.#loaded.set(key, table);
  }

  #failure(query: string, err: unknown): SqlError {
    const why = err instanceof Error ? err.message : String(err);
    const names = this.#registry.names();
    const tables = names.length === 0 ? "no tables are registered" : `registered tables: ${names.join(", ")}`;
    return new SqlError(ErrorCodes.SQL_FAILED, `sql(${quoteQuery(query)}) failed: ${why} (${tables}; register one with rdd.registerTempTable(name, columns))`, { cause: err });
  }
}

/** Replaces table `table.name` in `db` with `table.rows`; the caller holds a transaction. */
function load(db: BetterSqlite3.Database, table: TempTable): void {
  assertIdentifier(table.name, "A table name", "table");
  for (const c of table.columns) assertIdentifier(c, `A column name of table "${table.name}"`, "column");
  const rows: SqlValue[][] = table.rows.map((row, i) => table.columns.map((c) => convert(row[c], table.name, i, c)));
  const defs = table.columns.map((c, i) => `${quoteIdentifier(c)} ${columnType(rows.map((r) => r[i] ?? null))}`.trimEnd());
  const name = quoteIdentifier(table.name);
  db.exec(`DROP TABLE IF EXISTS ${name}`);
  db.exec(`CREATE TABLE ${name} (${defs.join(", ")})`);
  if (rows.length === 0) return;
  const insert = db.prepare(`INSERT INTO ${name} VALUES (${table.columns.map(() => "?").join(", ")})`);
  for (const row of rows) insert.run(row);
}

function convert(value: unknown, table: string, record: number, column: string): SqlValue {
  try {
    return toSqlValue(value);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new TypeError(`table "${table}", record ${record}, column "${column}" cannot be stored: ${why}`, { cause: err });
  }
}

function quoteQuery(query: string): string {
  const q = query.trim().replace(/\s+/g, " ");
  return JSON.stringify(q.length > 200 ? `${q.slice(0, 200)}…` : q);
}

/** The process's engine, over the process-wide {@link tempTables} (Spark's global SQLContext). */
export const sqlEngine: SqlEngine = new SqlEngine();

/** Runs `query` over the latest batch of every registered temporary table (see {@link SqlEngine.query}). */
export function sql(query: string): SqlRow[] {
  return sqlEngine.query(query);
}
