/**
 * Helpers to compare operator output as Spark's TestSuiteBase does with `useSet = true`: each
 * batch's records in a canonical order, so tables can list them in any order.
 */

/** A canonical text for any record: JSON with object keys sorted and Maps, Sets and bigints encoded. */
export function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v === undefined) return "__undefined__";
    if (v instanceof Map) return { __map__: [...v].map(([k, w]) => [canonical(k), w]).sort() };
    if (v instanceof Set) return { __set__: [...v].map(canonical).sort() };
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** The records of one batch in canonical order (a copy). */
export function sortBatch<T>(batch: readonly T[]): T[] {
  return [...batch].sort((a, b) => {
    const x = canonical(a);
    const y = canonical(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Every batch sorted with {@link sortBatch}. */
export function sortBatches<T>(batches: readonly (readonly T[])[]): T[][] {
  return batches.map((b) => sortBatch(b));
}

/** Sorts the values of each `[key, values]` record, for groupByKey-like output compared as sets. */
export function sortGroups<K, V>(batches: readonly (readonly [K, V[]][])[]): [K, V[]][][] {
  return sortBatches(batches.map((b) => b.map(([k, vs]): [K, V[]] => [k, sortBatch(vs)])));
}
