import { NotPlainDataError, PLAIN_DATA_RULE, scanPlainData } from "../../storage/plain-data.js";

/**
 * Records must come back from the write-ahead log exactly as they were stored (API.md "Records and
 * state are plain data"), so what the codec cannot keep is refused where it enters, with a
 * TypeError naming the record and what was found. `what` names the call in the message.
 */

/** The TypeError for the first of `records` that is not plain data, or undefined when all are. */
export function notPlainRecord(records: readonly unknown[], what: string): TypeError | undefined {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (typeof r === "string" || typeof r === "number") continue; // lines and numbers: no call
    const bad = notPlain(r, what, `record ${i}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** The TypeError for `value` (`name` says which, e.g. "the record" or "the offset"), or undefined. */
export function notPlain(value: unknown, what: string, name: string): TypeError | undefined {
  // Lines and numbers, the common records, need no walk.
  const t = typeof value;
  if (t === "string" || t === "number" || t === "boolean" || t === "undefined" || value === null) return undefined;
  try {
    scanPlainData(value);
    return undefined;
  } catch (e) {
    if (!(e instanceof NotPlainDataError)) throw e;
    return new TypeError(`${what}: ${name} is not plain data: found ${e.message}. ${PLAIN_DATA_RULE[0]!.toUpperCase()}${PLAIN_DATA_RULE.slice(1)}.`, { cause: e });
  }
}
