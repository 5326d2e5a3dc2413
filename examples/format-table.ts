/** Rows of `ssc.sql(...)` as an aligned text table (what the examples print). */
export function formatTable(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)";
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? "")));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ").trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("-+-"), ...cells.map(line)].join("\n");
}
