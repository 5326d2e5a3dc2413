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

/** Beyond this depth the walk checks for cycles (cheap values never get that deep). */
const CHEAP_DEPTH = 200;

const TYPED_ARRAYS = new Set<unknown>([
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView, Buffer,
]);

const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

class TooDeep {}

/**
 * Checks that `value` is plain data. Returns true when it holds a `-0`, a string (value or key)
 * that is not well-formed UTF-16 or an own "__proto__" key, which the codec must escape; throws {@link NotPlainDataError}
 * naming the path and what was found otherwise.
 */
export function scanPlainData(value: unknown): boolean {
  try {
    return walk(value, 0, undefined);
  } catch (e) {
    if (!(e instanceof TooDeep)) throw finish(e);
  }
  // Deep: walk again keeping the chain of ancestors, to tell a cycle from deep nesting.
  try {
    return walk(value, 0, new Set());
  } catch (e) {
    throw finish(e);
  }
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

class Failure {
  readonly segments: string[] = [];
  constructor(readonly found: string) {}
}

function finish(e: unknown): unknown {
  if (!(e instanceof Failure)) return e;
  return new NotPlainDataError(e.found, e.segments.reverse().join("").trim());
}

function walk(v: unknown, depth: number, ancestors: Set<object> | undefined): boolean {
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
      throw new Failure(`a function${v.name === "" ? "" : ` (${v.name})`}`);
    case "symbol":
      throw new Failure(`a symbol (${String(v)})`);
    default:
      return v === null ? false : walkObject(v as object, depth, ancestors);
  }
}

function walkObject(o: object, depth: number, ancestors: Set<object> | undefined): boolean {
  if (ancestors === undefined) {
    if (depth > CHEAP_DEPTH) throw new TooDeep();
  } else {
    if (ancestors.has(o)) throw new Failure("a circular reference (a value that contains itself)");
    ancestors.add(o);
  }
  const proto: unknown = Object.getPrototypeOf(o);
  let escape = false;
  const d = depth + 1;
  try {
    if (proto === Array.prototype) {
      const a = o as unknown[];
      for (let i = 0; i < a.length; i++) escape = child(a[i], d, ancestors, i) || escape;
    } else if (proto === Object.prototype) {
      const rec = o as Record<string, unknown>;
      for (const k in rec) {
        if (k === "__proto__" || !wellFormed(k)) escape = true;
        escape = child(rec[k], d, ancestors, k) || escape;
      }
    } else if (proto === Map.prototype) {
      let i = 0;
      for (const [k, val] of o as Map<unknown, unknown>) {
        escape = child(k, d, ancestors, `<key ${i}>`) || escape;
        escape = child(val, d, ancestors, `<value ${i}>`) || escape;
        i++;
      }
    } else if (proto === Set.prototype) {
      let i = 0;
      for (const val of o as Set<unknown>) escape = child(val, d, ancestors, `<item ${i++}>`) || escape;
    } else if (proto === Date.prototype || proto === ArrayBuffer.prototype) {
      // Stored as they are.
    } else if (ArrayBuffer.isView(o) && TYPED_ARRAYS.has(o.constructor)) {
      // Typed arrays, DataView and Buffer are stored as their bytes with their type.
    } else {
      throw new Failure(describeObject(o, proto));
    }
  } finally {
    ancestors?.delete(o);
  }
  return escape;
}

function child(v: unknown, depth: number, ancestors: Set<object> | undefined, at: string | number): boolean {
  // Primitives inline: most children of most records are strings and numbers.
  const t = typeof v;
  if (t === "string") return !wellFormed(v as string);
  if (t === "number") return v === 0 && 1 / (v as number) < 0;
  try {
    return walk(v, depth, ancestors);
  } catch (e) {
    if (e instanceof Failure) e.segments.push(typeof at === "number" ? `[${at}]` : /^[A-Za-z_$][\w$]*$/.test(at) ? `.${at}` : at.startsWith("<") ? ` ${at}` : `[${JSON.stringify(at)}]`);
    throw e;
  }
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
