/**
 * Keys compare by value. Primitives (strings, numbers, booleans, bigints, null, undefined) compare
 * as a `Map` compares them (SameValueZero). Arrays and plain objects compare by a canonical
 * encoding: type-tagged so `1` and `"1"` differ and `[1]` ≠ `["1"]`, object keys sorted so
 * `{a, b}` equals `{b, a}`.
 */

/** True when `key` is compared by its canonical encoding rather than by `Map` identity. */
export function isCompositeKey(key: unknown): key is object {
  return typeof key === "object" && key !== null;
}

/**
 * The canonical encoding of a key: equal keys (by value) give equal strings, different keys give
 * different strings. Arrays and plain objects are encoded recursively; a `Date` by its time; other
 * objects by their own enumerable properties, tagged with their constructor's name. Functions and
 * symbols (inside composite keys) and cycles are refused with a `TypeError`.
 */
export function canonicalKey(key: unknown): string {
  return encode(key, []);
}

function encode(v: unknown, path: object[]): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      // String(-0) is "0", so 0 and -0 agree, as in a Map; NaN encodes as "nNaN".
      return "n" + String(v);
    case "boolean":
      return v ? "T" : "F";
    case "bigint":
      return "b" + v.toString();
    case "undefined":
      return "U";
    case "object":
      return v === null ? "N" : encodeObject(v, path);
    default:
      if (path.length === 0 && typeof v === "symbol") return "y" + String(v.description);
      throw new TypeError(`keys must be primitives, arrays or plain objects; got a ${typeof v} inside a composite key`);
  }
}

function encodeObject(o: object, path: object[]): string {
  if (path.includes(o)) throw new TypeError("a composite key must not contain itself (cyclic key)");
  if (o instanceof Date) return "D" + String(o.getTime());
  path.push(o);
  let out: string;
  if (Array.isArray(o)) {
    out = "[";
    for (let i = 0; i < o.length; i++) out += (i === 0 ? "" : ",") + encode(o[i], path);
    out += "]";
  } else {
    const proto = Object.getPrototypeOf(o) as { constructor?: { name?: string } } | null;
    const tag = proto === null || proto === Object.prototype ? "" : String(proto.constructor?.name ?? "?");
    const names = Object.keys(o).sort();
    out = tag + "{";
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      out += (i === 0 ? "" : ",") + JSON.stringify(name) + ":" + encode((o as Record<string, unknown>)[name], path);
    }
    out += "}";
  }
  path.pop();
  return out;
}

/**
 * A map whose keys compare by value (see {@link canonicalKey}). Primitive keys go straight into a
 * `Map`, with no encoding. A composite key is encoded once per lookup; the first key object seen
 * for an encoding stands for all equal keys, so one `Map` keeps every key in insertion order.
 */
export class KeyMap<K, V> {
  readonly #map = new Map<unknown, V>();
  /** canonical encoding → the key object that stands for it in `#map` */
  readonly #interned = new Map<string, object>();

  /** Number of distinct keys. */
  get size(): number {
    return this.#map.size;
  }

  /** The value stored for `key`, or undefined. */
  get(key: K): V | undefined {
    return this.#map.get(isCompositeKey(key) ? this.#interned.get(canonicalKey(key)) : key);
  }

  /** True when a value is stored for `key`. */
  has(key: K): boolean {
    if (!isCompositeKey(key)) return this.#map.has(key);
    const rep = this.#interned.get(canonicalKey(key));
    return rep !== undefined && this.#map.has(rep);
  }

  /** Stores `value` for `key`; an equal key already present keeps its original key object. */
  set(key: K, value: V): this {
    this.#map.set(this.#slot(key), value);
    return this;
  }

  /** Removes `key`; true when it was present. */
  delete(key: K): boolean {
    if (!isCompositeKey(key)) return this.#map.delete(key);
    const code = canonicalKey(key);
    const rep = this.#interned.get(code);
    if (rep === undefined) return false;
    this.#interned.delete(code);
    return this.#map.delete(rep);
  }

  /** Removes every key. */
  clear(): void {
    this.#map.clear();
    this.#interned.clear();
  }

  /**
   * Inserts or updates `key` in one lookup: stores `create(arg, key)` when the key is absent,
   * `update(old, arg, key)` when present, and returns the stored value. `arg` is passed through so
   * hot loops need not allocate a closure per record.
   */
  upsert<A>(key: K, arg: A, create: (arg: A, key: K) => V, update: (old: V, arg: A, key: K) => V): V {
    const slot = isCompositeKey(key) ? this.#slot(key) : key;
    const map = this.#map;
    const old = map.get(slot);
    const value = old !== undefined || map.has(slot) ? update(old as V, arg, key) : create(arg, key);
    map.set(slot, value);
    return value;
  }

  /** `[key, value]` pairs in insertion order (first key object seen for each composite key). */
  entries(): IterableIterator<[K, V]> {
    return this.#map.entries() as IterableIterator<[K, V]>;
  }

  /** Keys in insertion order. */
  keys(): IterableIterator<K> {
    return this.#map.keys() as IterableIterator<K>;
  }

  /** Values in key insertion order. */
  values(): IterableIterator<V> {
    return this.#map.values();
  }

  /** Same as {@link KeyMap.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Calls `fn` for each entry in insertion order. */
  forEach(fn: (value: V, key: K) => void): void {
    this.#map.forEach(fn as (value: V, key: unknown) => void);
  }

  /** A plain `Map` of the entries; composite keys are the first key objects seen. */
  toMap(): Map<K, V> {
    return new Map(this.#map) as Map<K, V>;
  }

  #slot(key: K): unknown {
    if (!isCompositeKey(key)) return key;
    const code = canonicalKey(key);
    const rep = this.#interned.get(code);
    if (rep !== undefined) return rep;
    this.#interned.set(code, key);
    return key;
  }
}
