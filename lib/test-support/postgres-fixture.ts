import pg from "pg";
import { uniqueName } from "./jetstream-fixture.js";

/** The PostgreSQL database the tests use (see services.ts). */
export const PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** A table of its own for one test; `remove()` drops it and its ledger rows. */
export interface TestTable {
  name: string;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** The ledger rows of this table, by sink id and batch time. */
  ledger(): Promise<{ sink_id: string; batch_time: string; row_count: number }[]>;
  remove(): Promise<void>;
}

/** Creates a table named `${prefix}_<random>` with the given column definitions. */
export async function testTable(prefix: string, columns: string): Promise<TestTable> {
  const name = uniqueName(prefix);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`CREATE TABLE "${name}" (${columns})`);
  const query = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> => (await client.query<R>(sql, params)).rows;
  return {
    name,
    query,
    ledger: async () => {
      const exists = await query<{ t: string | null }>(`SELECT to_regclass('dstream_sink_ledger')::text AS t`);
      if (exists[0]?.t === null) return [];
      return query(`SELECT sink_id, batch_time::text, row_count FROM dstream_sink_ledger WHERE target = $1 ORDER BY batch_time, sink_id`, [name]);
    },
    remove: async () => {
      await client.query(`DROP TABLE IF EXISTS "${name}"`);
      await client.query(`DELETE FROM dstream_sink_ledger WHERE target = $1`, [name]).catch(() => undefined);
      await client.end();
    },
  };
}
