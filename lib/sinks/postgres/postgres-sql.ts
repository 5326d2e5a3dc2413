/**
 * The SQL the PostgreSQL sink sends: identifiers quoted as given, rows as multi-row INSERTs with
 * bind parameters (at most PostgreSQL's 65,535 per statement), the ledger table's definition.
 */

/** PostgreSQL's limit of bind parameters in one statement. */
export const MAX_PARAMS = 65_535;

/** `schema.name` or `name`, each part double-quoted. */
export function quoteName(name: string): string {
  return name
    .split(".")
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join(".");
}

/** The statement inserting `rowCount` rows of `columns` (upsert: ON CONFLICT (key) DO UPDATE). */
export function insertSql(table: string, columns: readonly string[], rowCount: number, upsertKey: readonly string[] | undefined): string {
  const n = columns.length;
  const values: string[] = new Array<string>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const ps: string[] = new Array<string>(n);
    for (let c = 0; c < n; c++) ps[c] = `$${r * n + c + 1}`;
    values[r] = `(${ps.join(",")})`;
  }
  let sql = `INSERT INTO ${quoteName(table)} (${columns.map(quoteName).join(",")}) VALUES ${values.join(",")}`;
  if (upsertKey !== undefined) {
    const rest = columns.filter((c) => !upsertKey.includes(c));
    const conflict = `(${upsertKey.map(quoteName).join(",")})`;
    sql += rest.length === 0 ? ` ON CONFLICT ${conflict} DO NOTHING` : ` ON CONFLICT ${conflict} DO UPDATE SET ${rest.map((c) => `${quoteName(c)} = EXCLUDED.${quoteName(c)}`).join(", ")}`;
  }
  return sql;
}

/**
 * The ledger: one row per (target table, sink id, batch time) a sink has written, with the job
 * that wrote it (NULL in rows written before job ids existed, or by a job whose checkpoint has none).
 */
export function ledgerDdl(ledger: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteName(ledger)} (
    target text NOT NULL,
    sink_id text NOT NULL,
    batch_time bigint NOT NULL,
    row_count integer NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    job text,
    PRIMARY KEY (target, sink_id, batch_time))`;
}

/** True (one row) when the ledger table has its `job` column; $1 is the quoted ledger name. */
export const HAS_JOB_COLUMN = `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'job' AND NOT attisdropped`;

/** Adds the `job` column to a ledger table created before it existed. */
export function addJobColumnDdl(ledger: string): string {
  return `ALTER TABLE ${quoteName(ledger)} ADD COLUMN IF NOT EXISTS job text`;
}
