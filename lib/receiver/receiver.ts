import { ErrorCodes, ReceiverError } from "../../errors.js";
import { notPlain, notPlainRecord } from "./plain-records.js";
import { requireRate } from "./rate-limiter.js";
import type { ReceiverSupervisor } from "./supervisor.js";

/** Options of a {@link Receiver}. */
export interface ReceiverOptions {
  /** At most this many records per second (a token bucket on the context's clock). */
  maxRate?: number;
  /** The receiver's name in listener events; default: its class name. */
  name?: string;
}

/**
 * A source of records that runs for the life of the context (Spark's Receiver). Subclasses
 * implement `onStart` (set up, return promptly: receiving runs on events, not in `onStart`) and
 * `onStop` (release what `onStart` set up), and hand records over with `store`/`storeMany`.
 * Give one to `ssc.receiverStream(receiver)`.
 */
export abstract class Receiver<T> {
  /** Records per second, or undefined for no limit. */
  readonly maxRate: number | undefined;
  /** The name reported to listeners. */
  readonly name: string;
  private supervisor: ReceiverSupervisor | undefined;

  constructor(options: ReceiverOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`Receiver(options) expects { maxRate?, name? }; got ${String(options)}`);
    this.maxRate = requireRate(options.maxRate);
    if (options.name !== undefined && typeof options.name !== "string") throw new TypeError(`Receiver name must be a string; got ${typeof options.name}`);
    this.name = options.name ?? this.constructor.name;
  }

  /**
   * Starts receiving. Called when the context starts, and again after each `restart`. If it throws
   * (or rejects), `onStop` runs and `onStart` is called again with backoff, each failure reported
   * to `onReceiverError`; after `receiverMaxRestarts` failures in a row the context stops with
   * DSTREAM_RECEIVER_FAILED.
   */
  abstract onStart(): void | Promise<void>;

  /**
   * Stops receiving and releases resources. Called on stop and before each restart. During a
   * graceful stop of the context, `store`/`storeMany` are still taken until it returns (and its
   * storeMany calls settle), so a receiver may hand over its last records here.
   */
  abstract onStop(): void | Promise<void>;

  /**
   * Stores one record. Throws a TypeError (and stores nothing) for a record that is not plain
   * data (API.md), naming what was found. It is buffered and cut into a block every
   * `blockInterval`; a crash before its block is written loses it (as in Spark). Use `storeMany` for
   * records that must not be lost.
   *
   * The record is always taken. The promise (which never rejects) is Spark's blocking `store`:
   * under `maxRate` or backpressure it stays pending while one second's worth of records at the
   * current rate waits in the buffer, so a receiver that awaits it before taking more from its
   * source stores no faster than the rate. Ignoring it keeps the old behaviour (the buffer grows;
   * at ten times the bound the receiver reports DSTREAM_RECEIVER_OVERFLOW to listeners, once).
   */
  store(item: T): Promise<void> {
    const sup = this.bound("store");
    const bad = notPlain(item, `Receiver ${this.name}: store(record)`, "the record");
    if (bad !== undefined) throw bad;
    return sup.store(item);
  }

  /**
   * Stores `items` as one block. Resolves once the block, and `offset` if given, are durable in one
   * atomic write (a synced WAL append with a checkpoint directory; in memory without one). Rejects
   * with DSTREAM_RECEIVER_STOPPED after the receiver stopped, and with a TypeError naming the first
   * record that is not plain data (API.md; none of `items` is stored then). Waits for `maxRate`.
   * `ids`, one per item (undefined where unknown): the identity of the source message, such as an
   * AMQP message-id; in a group a record whose id the group's stream stored within its duplicate
   * window is dropped (a message redelivered to another member after a member died). Ignored alone.
   */
  storeMany(items: T[], options?: { offset?: unknown; ids?: readonly (string | undefined)[] }): Promise<void> {
    if (!Array.isArray(items)) return Promise.reject(new TypeError(`storeMany(items) expects an array; got ${typeof items}`));
    const sup = this.supervisor;
    if (sup === undefined) return Promise.reject(notAttached("storeMany"));
    const what = `Receiver ${this.name}: storeMany(records, options)`;
    const bad = notPlainRecord(items, what) ?? (options === undefined ? undefined : notPlain(options.offset, what, "the offset"));
    if (bad !== undefined) return Promise.reject(bad);
    const ids = options?.ids;
    if (ids !== undefined && (!Array.isArray(ids) || ids.length !== items.length || !ids.every((id) => id === undefined || (typeof id === "string" && id.length > 0)))) {
      return Promise.reject(new TypeError(`${what}: ids must be an array with one non-empty string (or undefined) per record; got ${Array.isArray(ids) ? `${ids.length} entries for ${items.length} records` : typeof ids}`));
    }
    const offset = options !== undefined && "offset" in options ? { offset: options.offset, hasOffset: true } : { hasOffset: false };
    return sup.storeMany(items, ids === undefined ? offset : { ...offset, ids });
  }

  /** The offset stored with the last durable block; after a restart of the process, read back from the WAL. */
  lastStoredOffset(): unknown {
    return this.supervisor?.lastStoredOffset();
  }

  /** True once `onStart` has returned, until the receiver stops or restarts. */
  isStarted(): boolean {
    return this.supervisor?.isReceiverStarted() ?? false;
  }

  /** True while the receiver is stopped (for good, or between the two halves of a restart). Loops check it. */
  isStopped(): boolean {
    return this.supervisor?.isReceiverStopped() ?? false;
  }

  /**
   * Restarts the receiver: `onStop`, then `onStart` after `delayMs` (default 2000), doubling on each
   * restart that follows without any record stored in between (at most 60 s). Reported to listeners.
   */
  restart(message: string, error?: unknown, delayMs?: number): void {
    if (delayMs !== undefined && (!Number.isFinite(delayMs) || delayMs < 0)) throw new RangeError(`restart(message, error, delayMs) expects a non-negative delay in ms; got ${delayMs}`);
    this.bound("restart").restart(String(message), error, delayMs);
  }

  /** Stops the receiver for good (the context keeps running). */
  stop(message: string, error?: unknown): void {
    this.bound("stop").stop(String(message), error);
  }

  /** Reports an error to listeners (onReceiverError) without stopping. */
  reportError(message: string, error?: unknown): void {
    this.bound("reportError").reportError(String(message), error);
  }

  /** The id of the input stream this receiver feeds. */
  get streamId(): number {
    return this.bound("streamId").streamId;
  }

  /** Binds the receiver to the supervisor of its input stream; once. */
  attach(supervisor: ReceiverSupervisor): void {
    if (this.supervisor !== undefined) throw new TypeError(`Receiver ${this.name} already feeds stream ${this.supervisor.streamId}; create one receiver per receiverStream`);
    this.supervisor = supervisor;
  }

  private bound(what: string): ReceiverSupervisor {
    if (this.supervisor === undefined) throw notAttached(what);
    return this.supervisor;
  }
}

function notAttached(what: string): ReceiverError {
  return new ReceiverError(ErrorCodes.RECEIVER_STOPPED, `Receiver.${what}: this receiver is not attached to a context; pass it to ssc.receiverStream(receiver) first`);
}
