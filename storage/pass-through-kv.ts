/** A {@link KvStore} that hands every call to another: the base of wrappers that change one call. */
import type { KvOp, KvRange, KvStore, KvWriteOptions } from "./kv.js";

/** Delegates every call to `inner`; subclasses override what they change (usually `write`). */
export class PassThroughKv implements KvStore {
  readonly inner: KvStore;

  constructor(inner: KvStore) {
    this.inner = inner;
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    const inner = this.inner;
    return inner.getMany !== undefined ? inner.getMany(keys) : Promise.all(keys.map((k) => inner.get(k)));
  }

  write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    return this.inner.write(ops, options);
  }

  iterate(range: KvRange): AsyncIterable<[Buffer, Buffer]> {
    return this.inner.iterate(range);
  }

  keys(range: KvRange): AsyncIterable<Buffer> {
    return this.inner.keys(range);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
