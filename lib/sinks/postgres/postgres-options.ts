import type { Duration } from "../../time.js";

/** Options of `saveToPostgres`. */
export interface PostgresSinkOptions {
  /** `"postgres://postgres@127.0.0.1:5432/test"`. */
  connectionString: string;
  /** The target table, `name` or `schema.name` (quoted as given: case matters). */
  table: string;
  /** Record → row: an array record gives the columns by position, an object by name. */
  columns: string[];
  /** `"append"` (default) inserts every row; `"upsert"` updates rows whose `key` exists. */
  mode?: "append" | "upsert";
  /** Upsert conflict target: columns of a unique index or primary key. */
  key?: string[];
  /** The sink id (default: from the operator id, see registerSink). */
  name?: string;
  /** The ledger table, created if missing; default `dstream_sink_ledger` in the target's schema. */
  ledgerTable?: string;
  /** Ledger rows older than this before the batch being written are deleted; default 1 hour. */
  ledgerRetention?: Duration;
}

/** Options checked, defaults applied. */
export interface ResolvedPostgresOptions {
  connectionString: string;
  table: string;
  columns: string[];
  mode: "append" | "upsert";
  key: string[];
  ledgerTable: string;
  ledgerRetention: Duration;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const QUALIFIED = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

/** Validates `saveToPostgres` options, naming the option that is wrong. */
export function resolvePostgresOptions(o: PostgresSinkOptions): ResolvedPostgresOptions {
  const where = "saveToPostgres(options)";
  if (o === null || typeof o !== "object") throw new TypeError(`${where} expects { connectionString, table, columns, … }; got ${String(o)}`);
  if (typeof o.connectionString !== "string" || !/^postgres(ql)?:\/\//.test(o.connectionString)) {
    throw new TypeError(`${where}: connectionString must be a postgres:// URL such as "postgres://postgres@127.0.0.1:5432/test"; got ${JSON.stringify(o.connectionString)}`);
  }
  if (typeof o.table !== "string" || !QUALIFIED.test(o.table)) throw new TypeError(`${where}: table must be a table name or schema.table (letters, digits, _ and $); got ${JSON.stringify(o.table)}`);
  if (!Array.isArray(o.columns) || o.columns.length === 0 || !o.columns.every((c) => typeof c === "string" && IDENT.test(c))) {
    throw new TypeError(`${where}: columns must be a non-empty array of column names; got ${JSON.stringify(o.columns)}`);
  }
  if (new Set(o.columns).size !== o.columns.length) throw new TypeError(`${where}: columns must not repeat a name; got ${JSON.stringify(o.columns)}`);
  const mode = o.mode ?? "append";
  if (mode !== "append" && mode !== "upsert") throw new TypeError(`${where}: mode must be "append" or "upsert"; got ${JSON.stringify(o.mode)}`);
  const key = o.key ?? [];
  if (mode === "upsert") {
    if (!Array.isArray(key) || key.length === 0) throw new TypeError(`${where}: mode "upsert" needs key, the conflict columns (a unique index or primary key); got ${JSON.stringify(o.key)}`);
    const missing = key.filter((k) => !o.columns.includes(k));
    if (missing.length > 0) throw new TypeError(`${where}: key columns ${JSON.stringify(missing)} are not among columns ${JSON.stringify(o.columns)}`);
  } else if (o.key !== undefined) {
    throw new TypeError(`${where}: key is the upsert conflict target; it needs mode "upsert"`);
  }
  const schema = o.table.includes(".") ? `${o.table.split(".")[0]}.` : "";
  const ledgerTable = o.ledgerTable ?? `${schema}dstream_sink_ledger`;
  if (typeof ledgerTable !== "string" || !QUALIFIED.test(ledgerTable)) throw new TypeError(`${where}: ledgerTable must be a table name or schema.table; got ${JSON.stringify(o.ledgerTable)}`);
  const ledgerRetention = o.ledgerRetention ?? 3_600_000;
  if (!Number.isFinite(ledgerRetention) || ledgerRetention < 0) throw new RangeError(`${where}: ledgerRetention must be a non-negative number of ms; got ${String(o.ledgerRetention)}`);
  return { connectionString: o.connectionString, table: o.table, columns: [...o.columns], mode, key: [...key], ledgerTable, ledgerRetention };
}
