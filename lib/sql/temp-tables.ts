/**
 * The process-wide registry of temporary tables: `rdd.registerTempTable(name, columns)` stores the
 * latest rows of each table here, and `ssc.sql()` reads them. Table names are case-insensitive, as
 * Spark SQL's are by default; a table keeps the spelling it was last registered with.
 */
import { describe } from "../rdd/validate.js";

/** One row: column name → value. Missing values are null. */
export type Row = Record<string, unknown>;

/** A registered table: its name, columns in order and latest rows. */
export interface TempTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Keeps the latest rows of each temporary table. */
export class TempTableRegistry {
  readonly #tables = new Map<string, TempTable>();

  /**
   * Checks a table name (an SQL identifier: letters, digits, `_`, not starting with a digit nor
   * with `sqlite_`, which SQLite reserves) and its columns (a non-empty array of distinct
   * identifiers); throws a `TypeError` otherwise.
   */
  validate(name: unknown, columns: unknown): void {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new TypeError(`registerTempTable(name) expects an identifier such as "word_counts"; got ${describe(name)}`);
    }
    if (/^sqlite_/i.test(name)) {
      throw new TypeError(`registerTempTable(name): names starting with "sqlite_" are reserved by the SQL engine; got "${name}"`);
    }
    if (!Array.isArray(columns) || columns.length === 0) {
      throw new TypeError(`registerTempTable(name, columns) expects a non-empty array of column names; got ${describe(columns)}`);
    }
    const seen = new Set<string>();
    for (const c of columns as unknown[]) {
      if (typeof c !== "string" || !NAME.test(c)) {
        throw new TypeError(`registerTempTable(name, columns): each column must be an identifier such as "count"; got ${describe(c)}`);
      }
      if (seen.has(c.toLowerCase())) throw new TypeError(`registerTempTable(name, columns): column "${c}" appears twice`);
      seen.add(c.toLowerCase());
    }
  }

  /**
   * Replaces the rows of table `name` with one row per record: an array maps positionally to the
   * columns (its length must equal theirs), a plain object by column name (missing → null), a
   * primitive (or any other value) fills a one-column table. Throws a `TypeError` on a mismatch.
   */
  register(name: string, columns: readonly string[], records: Iterable<unknown>): TempTable {
    this.validate(name, columns);
    const cols = Object.freeze(columns.slice());
    const rows: Row[] = [];
    for (const record of records) rows.push(toRow(record, cols, name, rows.length));
    const table: TempTable = Object.freeze({ name, columns: cols, rows: Object.freeze(rows) });
    this.#tables.set(name.toLowerCase(), table);
    return table;
  }

  /** The table registered under `name` (any case), or undefined. */
  get(name: string): TempTable | undefined {
    return this.#tables.get(String(name).toLowerCase());
  }

  /** Names of the registered tables, in order of first registration. */
  names(): string[] {
    return Array.from(this.#tables.values(), (t) => t.name);
  }

  /** Removes table `name`; true when it existed. */
  drop(name: string): boolean {
    return this.#tables.delete(String(name).toLowerCase());
  }

  /** Removes every table. */
  clear(): void {
    this.#tables.clear();
  }
}

function toRow(record: unknown, columns: readonly string[], table: string, index: number): Row {
  const row: Row = {};
  if (Array.isArray(record)) {
    if (record.length !== columns.length) {
      throw new TypeError(
        `registerTempTable("${table}"): record ${index} has ${record.length} values but the table has ${columns.length} columns (${columns.join(", ")})`,
      );
    }
    columns.forEach((c, i) => (row[c] = record[i] ?? null));
  } else if (isPlainObject(record)) {
    for (const c of columns) row[c] = Object.hasOwn(record, c) ? (record[c] ?? null) : null;
  } else {
    if (columns.length !== 1) {
      throw new TypeError(
        `registerTempTable("${table}"): record ${index} is a single value (${describe(record)}) but the table has ${columns.length} columns; map records to arrays or objects first`,
      );
    }
    row[columns[0] as string] = record ?? null;
  }
  return row;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const GLOBAL_KEY = Symbol.for("dstream.tempTables");

/** The process-wide registry (shared even across copies of the package). */
export const tempTables: TempTableRegistry = ((globalThis as Record<symbol, unknown>)[GLOBAL_KEY] ??=
  new TempTableRegistry()) as TempTableRegistry;
