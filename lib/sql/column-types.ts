/**
 * How JavaScript values become SQLite values, and which type a column of a batch is declared with.
 * Numbers and bigints stay numbers, booleans become 0/1, strings stay text, byte arrays are blobs,
 * dates are ISO-8601 text, other objects and arrays are JSON text (usable with `json_extract`),
 * null and undefined are NULL.
 */

/** A value SQLite can bind. */
export type SqlValue = number | bigint | string | Uint8Array | null;

/** Declared column types; "" declares none (values keep whatever type they were bound with). */
export type ColumnType = "INTEGER" | "REAL" | "TEXT" | "BLOB" | "";

/** `value` as a value SQLite can store. Throws a `TypeError` for values JSON cannot hold (e.g. cycles). */
export function toSqlValue(value: unknown): SqlValue {
  switch (typeof value) {
    case "number":
      // SQLite would store NaN as NULL anyway; mapping it here keeps it out of the column type.
      return Number.isNaN(value) ? null : value;
    case "bigint":
    case "string":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "undefined":
    case "function":
    case "symbol":
      return null;
    default:
      if (value === null) return null;
      if (value instanceof Uint8Array) return value;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? null;
  }
}

/** The declared type of a column holding `values` (already converted with {@link toSqlValue}). */
export function columnType(values: Iterable<SqlValue>): ColumnType {
  let seen: ColumnType | undefined;
  for (const v of values) {
    if (v === null) continue;
    const t = typeOf(v);
    if (seen === undefined || seen === t) seen = t;
    else if ((seen === "INTEGER" && t === "REAL") || (seen === "REAL" && t === "INTEGER")) seen = "REAL";
    else return "";
  }
  return seen ?? "";
}

function typeOf(v: Exclude<SqlValue, null>): Exclude<ColumnType, ""> {
  if (typeof v === "bigint") return "INTEGER";
  if (typeof v === "number") return Number.isInteger(v) ? "INTEGER" : "REAL";
  if (typeof v === "string") return "TEXT";
  return "BLOB";
}

/** A value read back from SQLite: integers that fit a JS number exactly become numbers. */
export function fromSqlValue(value: unknown): unknown {
  if (typeof value === "bigint" && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(value);
  }
  return value;
}
