/**
 * SQL over the temporary tables: an in-memory SQLite database that mirrors the latest batch of
 * every table in the process-wide {@link tempTables} registry. SQLite is node-sqlite3-wasm, SQLite
 * compiled to WebAssembly with a synchronous API: installing it needs no compiler and no download
 * of a native binary (better-sqlite3 compiled for ~2 minutes on machines without its prebuilt
 * binaries). It is loaded and the database created on the first query, so jobs that never query
 * pay nothing. Registering a table only stores its rows; the next query copies every table
 * registered since the previous one into SQLite, all in one transaction, so a query sees whole
 * batches.
 */
import { createRequire } from "node:module";
import type { Database } from "node-sqlite3-wasm";
import { ErrorCodes, SqlError } from "../../errors.js";
import { describe } from "../rdd/validate.js";
import { columnType, fromSqlValue, toSqlValue, type SqlValue } from "./column-types.js";
import { assertIdentifier, quoteIdentifier } from "./identifiers.js";
import { isSingleStatement } from "./single-statement.js";
import { tempTables, type TempTable, type TempTableRegistry } from "./temp-tables.js";

const requireCjs = createRequire(import.meta.url);

/** One result row: column name → value. */
export type SqlRow = Record<string, unknown>;

/** Runs SQL queries over the latest batch of each table of a {@link TempTableRegistry}. */
export class SqlEngine {
  readonly #registry: TempTableRegistry;
  #db: Database | undefined;
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
    if (!isSingleStatement(query)) {
      throw this.#failure(query, new Error("a query is one statement: remove what follows the first ';'"));
    }
    const db = this.#open(query);
    let rows: Record<string, unknown>[];
    try {
      this.#sync(db);
      // query_only makes SQLite refuse any change (set again each time: a query may be a PRAGMA).
      db.exec("PRAGMA query_only = ON");
      try {
        rows = db.all(query) as Record<string, unknown>[];
      } finally {
        // A statement such as BEGIN must not leave a transaction open for the next sync.
        if (db.inTransaction) db.exec("ROLLBACK");
        db.exec("PRAGMA query_only = OFF");
      }
    } catch (err) {
      if (err instanceof Error && /readonly database/.test(err.message)) {
        throw new SqlError(ErrorCodes.SQL_FAILED, `sql(${quoteQuery(query)}) failed: only queries that return rows are supported (the tables are the registered batches; replace one with rdd.registerTempTable(name, columns))`, { cause: err });
      }
      throw this.#failure(query, err);
    }
    return rows.map((row) => {
      for (const name of Object.keys(row)) row[name] = fromSqlValue(row[name]);
      return row;
    });
  }

  /** Closes the database (idempotent); the next query opens a new one and reloads every table. */
  close(): void {
    this.#db?.close();
    this.#db = undefined;
    this.#loaded.clear();
  }

  #open(query: string): Database {
    if (this.#db !== undefined) return this.#db;
    let sqlite: { Database: typeof Database };
    try {
      sqlite = requireCjs("node-sqlite3-wasm") as { Database: typeof Database };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new SqlError(ErrorCodes.SQL_FAILED, `sql(${quoteQuery(query)}) failed: the SQLite engine (node-sqlite3-wasm) could not be loaded (${why}); install the package's dependencies again with "npm install"`, { cause: err });
    }
    // No file name: an in-memory database.
    this.#db = new sqlite.Database();
    return this.#db;
  }

  /** Brings SQLite up to date with the registry: changed tables replaced, dropped ones dropped. */
  #sync(db: Database): void {
    const current = new Map<string, TempTable>();
    for (const name of this.#registry.names()) {
      const table = this.#registry.get(name);
      if (table !== undefined) current.set(name.toLowerCase(), table);
    }
    const stale = [...this.#loaded.keys()].filter((key) => !current.has(key));
    const changed = [...current].filter(([key, table]) => this.#loaded.get(key) !== table);
    if (stale.length === 0 && changed.length === 0) return;
    db.exec("BEGIN");
    try {
      for (const key of stale) db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(key)}`);
      for (const [, table] of changed) load(db, table);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
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
function load(db: Database, table: TempTable): void {
  assertIdentifier(table.name, "A table name", "table");
  for (const c of table.columns) assertIdentifier(c, `A column name of table "${table.name}"`, "column");
  const rows: SqlValue[][] = table.rows.map((row, i) => table.columns.map((c) => convert(row[c], table.name, i, c)));
  const defs = table.columns.map((c, i) => `${quoteIdentifier(c)} ${columnType(rows.map((r) => r[i] ?? null))}`.trimEnd());
  const name = quoteIdentifier(table.name);
  db.exec(`DROP TABLE IF EXISTS ${name}`);
  db.exec(`CREATE TABLE ${name} (${defs.join(", ")})`);
  if (rows.length === 0) return;
  const insert = db.prepare(`INSERT INTO ${name} VALUES (${table.columns.map(() => "?").join(", ")})`);
  try {
    for (const row of rows) insert.run(row);
  } finally {
    // WebAssembly memory is not garbage-collected: a statement holds it until finalized.
    insert.finalize();
  }
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
