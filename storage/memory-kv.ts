/** A sorted in-memory {@link KvStore} for tests, with LevelDB's semantics (snapshot iterators). */
import { closedError } from "./closed-error.js";
import type { KvOp, KvRange, KvStore, KvWriteOptions } from "./kv.js";

// latin1 strings map bytes 1:1 to UTF-16 code units, so string order is LevelDB's byte order.
const str = (b: Buffer): string => b.toString("latin1");

/** Keys and values shared by every handle of one in-memory database. */
class MemoryData {
  keys: string[] = [];
  values = new Map<string, Buffer>();

  /** Index of the first key `>= k` (or `> k` when `strict`). */
  bound(k: string, strict: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.keys[mid]!;
      if (m < k || (strict && m === k)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** An in-memory store. {@link MemoryKv.reopen} gives a new handle on the same data, like reopening a directory. */
export class MemoryKv implements KvStore {
  #data = new MemoryData();
  #closed = false;
  /** Number of `write` calls so far, for tests. */
  writes = 0;

  /** A new open handle on the same data (this one may be closed or abandoned). */
  reopen(): MemoryKv {
    const kv = new MemoryKv();
    kv.#data = this.#data;
    return kv;
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.#check();
    const v = this.#data.values.get(str(key));
    return v === undefined ? undefined : Buffer.from(v);
  }

  async getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async write(ops: KvOp[], _options: KvWriteOptions): Promise<void> {
    this.#check();
    this.writes++;
    const d = this.#data;
    for (const op of ops) {
      const k = str(op.key);
      const i = d.bound(k, false);
      const present = d.keys[i] === k;
      if (op.type === "put") {
        if (!present) d.keys.splice(i, 0, k);
        d.values.set(k, Buffer.from(op.value));
      } else if (present) {
        d.keys.splice(i, 1);
        d.values.delete(k);
      }
    }
  }

  async *iterate(range: KvRange): AsyncIterable<[Buffer, Buffer]> {
    for (const [k, v] of this.#slice(range)) yield [Buffer.from(k, "latin1"), Buffer.from(v)];
  }

  async *keys(range: KvRange): AsyncIterable<Buffer> {
    for (const [k] of this.#slice(range)) yield Buffer.from(k, "latin1");
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The entries in range, copied now: later writes do not show, as with a LevelDB snapshot. */
  #slice(range: KvRange): [string, Buffer][] {
    this.#check();
    const d = this.#data;
    let from = 0;
    let to = d.keys.length;
    if (range.gte !== undefined) from = Math.max(from, d.bound(str(range.gte), false));
    if (range.gt !== undefined) from = Math.max(from, d.bound(str(range.gt), true));
    if (range.lt !== undefined) to = Math.min(to, d.bound(str(range.lt), false));
    if (range.lte !== undefined) to = Math.min(to, d.bound(str(range.lte), true));
    const keys = d.keys.slice(from, Math.max(from, to));
    if (range.reverse === true) keys.reverse();
    const limited = range.limit !== undefined && range.limit >= 0 ? keys.slice(0, range.limit) : keys;
    return limited.map((k) => [k, d.values.get(k)!]);
  }

  #check(): void {
    if (this.#closed) throw closedError("(in memory)");
  }
}
