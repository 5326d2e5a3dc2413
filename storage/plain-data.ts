/**
 * What the codec stores exactly (API.md "Records and state are plain data"): strings, numbers,
 * booleans, null, undefined, bigint, arrays, plain objects, Map, Set, Date, ArrayBuffer, typed
 * arrays, DataView and Buffer, nested in any way that is not circular. Anything else would come
 * back changed after a restart (a class instance as a plain object without its methods, a function
 * as undefined) or make the write fail, so it is refused before it enters the engine.
 *
 * One walk both checks a value and finds what msgpack cannot say directly (-0, strings that are
 * not well-formed UTF-16, an own "__proto__" key): the codec escapes those (see `escape.ts`).
 */

/** A value that is not plain data; `path` says where (`[3].user.tags`), `found` what. */
export class NotPlainDataError extends TypeError {
  readonly path: string;
  readonly found: string;

  constructor(found: string, path: string) {
    super(`${found}${path === "" ? "" : ` at ${path}`}`);
    this.name = "TypeError";
    this.found = found;
    this.path = path;
  }
}

/** Beyond this depth the fast walk hands over to the careful one, which tells cycles from depth. */
const CHEAP_DEPTH = 200;

const TYPED_ARRAYS = new Set<unknown>([
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView, Buffer,
]);

/** True when `s` is well-formed UTF-16 (no lone surrogate), so UTF-8 can hold it. */
export const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Thrown by the fast walk at anything it does not accept; the careful walk then says what and where. */
const NOT_FAST = new Error("not plain data, or deep");

/**
 * Checks that `value` is plain data. Returns true when it holds a `-0`, a string (value or key)
 * that is not well-formed UTF-16 or an own "__proto__" key, which the codec must escape; throws
 * {@link NotPlainDataError} naming the path and what was found otherwise.
 */
export function scanPlainData(value: unknown): boolean {
  // The fast walk keeps no path and no ancestors: it runs on every record and every state value.
  try {
    return fast(value, 0);
  } catch (e) {
    if (e !== NOT_FAST) throw e;
  }
  return careful(value, "", new Set());
}

/** Describes why `value` is not plain data (`"a function at [2].f"`), or undefined when it is. */
export function notPlainData(value: unknown): NotPlainDataError | undefined {
  try {
    scanPlainData(value);
    return undefined;
  } catch (e) {
    if (e instanceof NotPlainDataError) return e;
    throw e;
  }
}

function fast(v: unknown, depth: number): boolean {
  if (typeof v === "string") return !wellFormed(v);
  if (typeof v === "number") return v === 0 && 1 / v < 0;
  if (typeof v !== "object") {
    if (typeof v === "boolean" || v === undefined || typeof v === "bigint") return false;
    throw NOT_FAST;
  }
  if (v === null) return false;
  if (depth > CHEAP_DEPTH) throw NOT_FAST;
  const d = depth + 1;
  let escape = false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw NOT_FAST;
    for (let i = 0; i < v.length; i++) {
      // Strings and numbers inline: a call per element costs as much as the check itself.
      const x: unknown = v[i];
      if (typeof x === "string") {
        if (!wellFormed(x)) escape = true;
      } else if (typeof x === "number") {
        if (x === 0 && 1 / x < 0) escape = true;
      } else if (fast(x, d)) escape = true;
    }
    return escape;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype) {
    const rec = v as Record<string, unknown>;
    for (const k in rec) {
      if (k === "__proto__" || !wellFormed(k)) escape = true;
      const x = rec[k];
      if (typeof x === "number") {
        if (x === 0 && 1 / x < 0) escape = true;
      } else if (fast(x, d)) escape = true;
    }
    return escape;
  }
  if (proto === Map.prototype) {
    for (const [k, val] of v as Map<unknown, unknown>) if (fast(k, d) || fast(val, d)) escape = true;
    return escape;
  }
  if (proto === Set.prototype) {
    for (const val of v as Set<unknown>) if (fast(val, d)) escape = true;
    return escape;
  }
  if (storedAsIs(v, proto)) return false;
  throw NOT_FAST;
}

/** Date, ArrayBuffer, typed arrays, DataView and Buffer are stored as they are (with their type). */
function storedAsIs(o: object, proto: unknown): boolean {
  return proto === Date.prototype || proto === ArrayBuffer.prototype || (ArrayBuffer.isView(o) && TYPED_ARRAYS.has(o.constructor));
}

/** The walk that keeps the path and the ancestors: names what it refuses, and finds cycles. */
function careful(v: unknown, path: string, ancestors: Set<object>): boolean {
  switch (typeof v) {
    case "string":
      return !wellFormed(v);
    case "number":
      return v === 0 && 1 / v < 0;
    case "boolean":
    case "undefined":
    case "bigint":
      return false;
    case "function":
      throw new NotPlainDataError(`a function${v.name === "" ? "" : ` (${v.name})`}`, path);
    case "symbol":
      throw new NotPlainDataError(`a symbol (${String(v)})`, path);
  }
  if (v === null) return false;
  const o = v as object;
  if (ancestors.has(o)) throw new NotPlainDataError("a circular reference (a value that contains itself)", path);
  const proto: unknown = Object.getPrototypeOf(o);
  let escape = false;
  ancestors.add(o);
  if (proto === Array.prototype) {
    const a = o as unknown[];
    for (let i = 0; i < a.length; i++) if (careful(a[i], `${path}[${i}]`, ancestors)) escape = true;
  } else if (proto === Object.prototype) {
    const rec = o as Record<string, unknown>;
    for (const k in rec) {
      if (k === "__proto__" || !wellFormed(k)) escape = true;
      if (careful(rec[k], `${path}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`, ancestors)) escape = true;
    }
  } else if (proto === Map.prototype) {
    let i = 0;
    for (const [k, val] of o as Map<unknown, unknown>) {
      if (careful(k, `${path} <key ${i}>`.trim(), ancestors) || careful(val, `${path} <value ${i}>`.trim(), ancestors)) escape = true;
      i++;
    }
  } else if (proto === Set.prototype) {
    let i = 0;
    for (const val of o as Set<unknown>) if (careful(val, `${path} <item ${i++}>`.trim(), ancestors)) escape = true;
  } else if (!storedAsIs(o, proto)) {
    throw new NotPlainDataError(describeObject(o, proto), path);
  }
  ancestors.delete(o);
  return escape;
}

function describeObject(o: object, proto: unknown): string {
  if (proto === null) return "an object with a null prototype (use a plain object {…} or a Map)";
  const name = (o as { constructor?: { name?: unknown } }).constructor?.name;
  const cls = typeof name === "string" && name !== "" ? name : "an anonymous class";
  const methods = typeof proto === "object" && proto !== null ? Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor") : [];
  const withMethods = methods.length > 0 ? ` (with methods ${methods.slice(0, 3).join(", ")}${methods.length > 3 ? ", …" : ""})` : "";
  return `an instance of class ${cls}${withMethods}, which would come back as a plain object`;
}

/** The rule, for error messages. */
export const PLAIN_DATA_RULE =
  "records and state must be plain data: strings, numbers, booleans, null, undefined, bigint, arrays, plain objects, Map, Set, Date, typed arrays (API.md)";
