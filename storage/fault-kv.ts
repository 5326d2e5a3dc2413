/**
 * A {@link KvStore} wrapper for crash tests: from the k-th `write` call on, writes never happen and
 * reject with {@link SimulatedCrash}, as if the process died at that instant. LevelDB batches are
 * atomic, so "died during write k" and "died just before write k" leave the same data behind.
 * It can also fail chosen writes with a given error (a full disk, an I/O error) while the process
 * lives on.
 */
import type { KvOp, KvStore, KvWriteOptions } from "./kv.js";
import { PassThroughKv } from "./pass-through-kv.js";

/** The error a crashed write rejects with; recognise it with {@link SimulatedCrash.is}. */
export class SimulatedCrash extends Error {
  readonly code = "DSTREAM_SIMULATED_CRASH";

  constructor(write: number) {
    super(`Simulated crash at storage write #${write} (FaultInjectingKv): the process is treated as dead.`);
  }

  /** True for a simulated crash, also when it arrives as another error's `cause`. */
  static is(err: unknown): boolean {
    for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 8; depth++) {
      if ((e as { code?: unknown }).code === "DSTREAM_SIMULATED_CRASH") return true;
      e = (e as { cause?: unknown }).cause;
    }
    return false;
  }
}

/** Options of {@link FaultInjectingKv}. */
export interface FaultOptions {
  /** 0-based index of the first write that crashes; omit to count writes without crashing. */
  crashAtWrite?: number;
  /**
   * Called before write `n` (0-based) happens: the error it returns is thrown instead of writing
   * (e.g. the `StorageError` LevelKv gives on ENOSPC); undefined lets the write through.
   */
  failWrite?: (n: number) => unknown;
}

/** Passes calls to `inner`, counting writes and crashing at the chosen one. */
export class FaultInjectingKv extends PassThroughKv {
  #crashAt: number;
  readonly #failWrite: ((n: number) => unknown) | undefined;
  /** Number of `write` calls made so far, crashed ones included. */
  writes = 0;
  /** True once a write has crashed. */
  crashed = false;

  constructor(inner: KvStore, options: FaultOptions = {}) {
    super(inner);
    this.#crashAt = options.crashAtWrite ?? Infinity;
    this.#failWrite = options.failWrite;
  }

  /** Crashes now: every later write never happens, as if the process had just died. */
  crashNow(): void {
    this.#crashAt = Math.min(this.#crashAt, this.writes);
    this.crashed = true;
  }

  override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    const n = this.writes++;
    if (n >= this.#crashAt) {
      this.crashed = true;
      throw new SimulatedCrash(n);
    }
    const failure = this.#failWrite?.(n);
    if (failure !== undefined) throw failure;
    return this.inner.write(ops, options);
  }

  /** Closes `inner`, unless a crash happened: a dead process closes nothing, the test does. */
  override async close(): Promise<void> {
    if (!this.crashed) await this.inner.close();
  }
}
