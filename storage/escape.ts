/**
 * What msgpack cannot say directly, said with three extensions (codec format 2):
 * - `-0`: msgpack integers have no sign of zero, and msgpackr writes -0 as the integer 0;
 * - strings that are not well-formed UTF-16 (a lone surrogate): UTF-8 cannot hold them, and
 *   msgpackr would write U+FFFD instead; they are stored as their UTF-16 code units;
 * - plain objects with such a string as a key, or with an own "__proto__" key (JSON.parse makes
 *   those; msgpackr reads that key back as "__proto_"): stored as their entries.
 * `escapeValue` copies a value, replacing these by marker instances the extensions write; reading
 * gives the original values back. Only values that need it are copied (`scanPlainData` says which),
 * so ordinary values pay nothing here.
 */
import { addExtension } from "msgpackr";
import { wellFormed } from "./plain-data.js";

class NegativeZero {}
const NEGATIVE_ZERO = new NegativeZero();

class Utf16String {
  constructor(readonly value: string) {}
}

class EscapedObject {
  constructor(readonly entries: [unknown, unknown][]) {}
}

// Extension types: msgpackr's own use 0x00, 0x42, 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78, 0xff.
const NEGATIVE_ZERO_TYPE = 0x2d; // "-"
const UTF16_TYPE = 0x75; // "u"
const OBJECT_TYPE = 0x6f; // "o"

addExtension({
  Class: NegativeZero,
  type: NEGATIVE_ZERO_TYPE,
  pack: () => Buffer.alloc(1),
  unpack: () => -0,
});

addExtension({
  Class: Utf16String,
  type: UTF16_TYPE,
  // Node's utf16le codec copies code units as they are, lone surrogates included.
  pack: (s: Utf16String) => Buffer.from(s.value, "utf16le"),
  unpack: (bytes: Buffer) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf16le"),
});

addExtension({
  Class: EscapedObject,
  type: OBJECT_TYPE,
  write: (o: EscapedObject) => o.entries,
  read: (entries: [string, unknown][]) => {
    const out: Record<string, unknown> = {};
    // defineProperty: an assignment to "__proto__" would set the prototype instead.
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  },
});

/** A copy of `v` (already checked to be plain data) with -0 and ill-formed strings escaped. */
export function escapeValue(v: unknown): unknown {
  switch (typeof v) {
    case "string":
      return wellFormed(v) ? v : new Utf16String(v);
    case "number":
      return v === 0 && 1 / v < 0 ? NEGATIVE_ZERO : v;
    case "object":
      return v === null ? v : escapeObject(v);
    default:
      return v;
  }
}

function escapeObject(o: object): unknown {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === Array.prototype) return (o as unknown[]).map(escapeValue);
  if (proto === Map.prototype) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of o as Map<unknown, unknown>) out.set(escapeValue(k), escapeValue(v));
    return out;
  }
  if (proto === Set.prototype) {
    const out = new Set<unknown>();
    for (const v of o as Set<unknown>) out.add(escapeValue(v));
    return out;
  }
  if (proto === Object.prototype) {
    const rec = o as Record<string, unknown>;
    let plainKeys = true;
    for (const k in rec) if (k === "__proto__" || !wellFormed(k)) plainKeys = false;
    if (!plainKeys) return new EscapedObject(Object.keys(rec).map((k) => [escapeValue(k), escapeValue(rec[k])]));
    const out: Record<string, unknown> = {};
    for (const k in rec) out[k] = escapeValue(rec[k]);
    return out;
  }
  return o; // Date, typed arrays: stored as they are.
}
