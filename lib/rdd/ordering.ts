/**
 * The default ordering of sortBy/sortByKey: a total order over the values keys can take, so sorts
 * are deterministic even over mixed types.
 */
import { canonicalKey } from "./key-map.js";

// Rank of each kind of value when kinds differ: nullish < boolean < number|bigint < string < Date < array < object.
function rank(v: unknown): number {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case "boolean":
      return 2;
    case "number":
      return Number.isNaN(v) ? 4 : 3; // NaN sorts after every number, as Java's Double.compare
    case "bigint":
      return 3;
    case "string":
      return 5;
    default:
      if (v instanceof Date) return 6;
      return Array.isArray(v) ? 7 : 8;
  }
}

/**
 * Compares two keys: numbers and bigints numerically, strings by UTF-16 code units, booleans
 * false < true, dates by time, arrays element by element (a prefix first), other objects by their
 * canonical encoding; values of different kinds by kind. Returns a negative, zero or positive number.
 */
export function compareKeys(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2:
    case 3:
    case 5:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 6:
      return (a as Date).getTime() - (b as Date).getTime();
    case 7:
      return compareArrays(a as unknown[], b as unknown[]);
    case 8: {
      const ca = canonicalKey(a);
      const cb = canonicalKey(b);
      return ca < cb ? -1 : ca > cb ? 1 : 0;
    }
    default:
      return 0;
  }
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareKeys(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
