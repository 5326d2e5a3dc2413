/**
 * Whether a SQL text holds one statement. SQLite prepares the first statement of a text and
 * would silently ignore the rest, so a query such as `select 1; select 2` is refused instead.
 * Semicolons inside string literals, quoted identifiers and comments do not count.
 */
export function isSingleStatement(sql: string): boolean {
  let ended = false; // a ';' outside quotes and comments was seen
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (/\s/.test(c)) continue;
    if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl < 0 ? sql.length : nl;
      continue;
    }
    if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (c === ";") {
      ended = true;
      continue;
    }
    if (ended) return false;
    const close = c === "'" || c === '"' || c === "`" ? c : c === "[" ? "]" : undefined;
    if (close !== undefined) {
      // A doubled quote inside a literal is an escaped quote: scanning on to the next one skips it.
      const end = sql.indexOf(close, i + 1);
      i = end < 0 ? sql.length : end;
    }
  }
  return true;
}
