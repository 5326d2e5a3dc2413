import { notPlainData, PLAIN_DATA_RULE } from "../../storage/plain-data.js";

/**
 * Checks a state value a user function produced for `key` (API.md "Records and state are plain
 * data"): state is committed through the codec and read back after a restart, so a value that
 * would come back changed fails the batch here, with a TypeError naming the key, instead of
 * reaching a commit. `what` names the operator, e.g. "updateStateByKey".
 */
export function checkStateValue(value: unknown, key: unknown, what: string): void {
  // Counts and sums, the common states, need no walk.
  const t = typeof value;
  if (t === "number" || t === "string" || t === "boolean" || t === "bigint" || t === "undefined" || value === null) return;
  const bad = notPlainData(value);
  if (bad !== undefined) {
    throw new TypeError(`${what}: the state for key ${printKey(key)} is not plain data: found ${bad.message}. ${PLAIN_DATA_RULE}.`, { cause: bad });
  }
}

function printKey(key: unknown): string {
  try {
    const s = typeof key === "bigint" ? `${key}n` : JSON.stringify(key);
    if (s !== undefined) return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    // A key JSON cannot print (e.g. a Map): fall through.
  }
  return String(key);
}
