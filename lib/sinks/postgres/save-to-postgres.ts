import type { DStream } from "../../dstream/internal.js";
import { onContextStop, registerSink } from "../sink-output.js";
import { resolvePostgresOptions, type PostgresSinkOptions } from "./postgres-options.js";
import { PostgresBatchWriter } from "./postgres-writer.js";

/** A row's value as `pg` takes it: undefined is NULL, bigint goes as text (exact). */
function cell(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Map) return JSON.stringify([...v]);
  if (v instanceof Set) return JSON.stringify([...v]);
  return v;
}

/** The row of `record`: an array by position, an object by column name. */
export function rowOf(record: unknown, columns: readonly string[], index: number): unknown[] {
  if (Array.isArray(record)) {
    if (record.length !== columns.length) throw new TypeError(`saveToPostgres: record ${index} has ${record.length} values, the sink writes ${columns.length} columns (${columns.join(", ")})`);
    return record.map(cell);
  }
  if (typeof record === "object" && record !== null) return columns.map((c) => cell((record as Record<string, unknown>)[c]));
  throw new TypeError(`saveToPostgres: record ${index} is a ${record === null ? "null" : typeof record}; records must be arrays (columns by position) or objects (columns by name)`);
}

/** Registers `saveToPostgres` on `stream`: exactly-once through the ledger row in each batch's transaction. */
export function saveToPostgres<T>(stream: DStream<T>, options: PostgresSinkOptions): void {
  const resolved = resolvePostgresOptions(options);
  const writer = new PostgresBatchWriter(resolved);
  registerSink(stream, "saveToPostgres", `saveToPostgres(${resolved.table})`, options.name, async (rdd, time, sinkId, jobId) => {
    const rows: unknown[][] = [];
    let i = 0;
    rdd.forEachRecord((r) => void rows.push(rowOf(r, resolved.columns, i++)));
    await writer.write(sinkId, time, rows, jobId);
  });
  onContextStop(stream, () => writer.close());
}
