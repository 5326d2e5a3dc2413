/**
 * SQL identifiers for the batch tables. Names reach SQLite only through {@link quoteIdentifier},
 * after {@link assertIdentifier} has checked them, so no table or column name can inject SQL.
 */
import { describe } from "../rdd/validate.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** SQLite keeps names starting with `sqlite_` for its own tables. */
const RESERVED_PREFIX = /^sqlite_/i;

/**
 * Throws a `TypeError` unless `name` is an identifier (letters, digits, `_`, not starting with a
 * digit); a table name must also not start with SQLite's reserved `sqlite_`. `what` names the
 * argument in the message.
 */
export function assertIdentifier(name: unknown, what: string, kind: "table" | "column"): asserts name is string {
  if (typeof name !== "string" || !IDENTIFIER.test(name)) {
    throw new TypeError(`${what} must be an identifier (letters, digits and _, not starting with a digit) such as "word_count"; got ${describe(name)}`);
  }
  if (kind === "table" && RESERVED_PREFIX.test(name)) {
    throw new TypeError(`${what} must not start with "sqlite_" (SQLite reserves those names); got "${name}"`);
  }
}

/** `name` as a double-quoted SQL identifier (so keywords such as `order` work as names). */
export function quoteIdentifier(name: string): string {
  // Doubling quotes is SQLite's escape; names are checked identifiers anyway, this is a second wall.
  return `"${name.replaceAll('"', '""')}"`;
}
