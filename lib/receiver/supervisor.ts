import { ErrorCodes, ReceiverError } from "../../errors.js";
import type { SchedulingClock, TimerHandle } from "../clock.js";
import type { Backpressure } from "../backpressure/backpressure.js";
import type { ListenerBus, ReceiverInfo } from "../listener.js";
import type { Duration } from "../time.js";
import { BLOCK_CUT_PRIORITY, BlockGenerator } from "./block-generator.js";
import { RateLimiter } from "./rate-limiter.js";
import type { Receiver } from "./receiver.js";

/** Spark's spark.streaming.receiverRestartDelay. */
export const DEFAULT_RESTART_DELAY = 2000;
/** Backoff never waits longer than this between restarts. */
export const MAX_RESTART_DELAY = 60_000;
/**
 * Restarts after `onStart` failed, in a row, before the context gives up with
 * DSTREAM_RECEIVER_FAILED: with the 2 s delay doubling to 60 s, about four minutes of retries.
 */
export const DEFAULT_RECEIVER_MAX_RESTARTS = 8;

/** What a supervisor needs from its context. */
export interface SupervisorDeps {
  clock: SchedulingClock;
  listenerBus: ListenerBus;
  blockInterval: Duration;
  /** Restarts of a receiver whose `onStart` keeps failing before giving up (see DEFAULT_RECEIVER_MAX_RESTARTS). */
  receiverMaxRestarts: number;
  /** Stops the context with `err` (a receiver that could not be started within its restarts). */
  reportFatal(err: unknown): void;
  /** With backpressure on, the receiver's rate follows its estimate (never above maxRate). */
  backpressure?: Backpressure | undefined;
}

/** A context's deps for the supervisors of its receiver streams (`reportFatal` bound to it). */
export function supervisorDeps(ssc: SupervisorDeps): SupervisorDeps {
  return {
    clock: ssc.clock,
    listenerBus: ssc.listenerBus,
    blockInterval: ssc.blockInterval,
    receiverMaxRestarts: ssc.receiverMaxRestarts,
    reportFatal: (err) => ssc.reportFatal(err),
    backpressure: ssc.backpressure,
  };
}

/**
 * Where a supervisor's blocks go: the WAL-backed {@link ReceivedBlocks} of a job alone, or, in a
 * group, the group's JetStream stream (lib/group/group-receiver.ts).
 */
export interface BlockSink {
  /**
   * Adds a block; resolves when it is durable. `offset` (given when `hasOffset`) is stored with it;
   * `sync`: wait for the disk (storeMany); `ids`: per record, the source message's identity when
   * the receiver knows one (a group drops a record whose identity it stored recently).
   */
  add(records: unknown[], options: { offset?: unknown; hasOffset: boolean; sync: boolean; ids?: readonly (string | undefined)[] }): Promise<void>;
  /** The offset stored with the last durable block. */
  readonly lastOffset: unknown;
}

/** "starting": `onStart` was called and has not returned yet. */
type State = "initialized" | "starting" | "started" | "stopped";

/**
 * Runs one receiver (Spark's ReceiverSupervisor): starts and stops it, restarts it with backoff,
 * reports it to listeners, and turns what it stores into blocks.
 */
export class ReceiverSupervisor {
  private state: State = "initialized";
  /** Stores are refused from here on. */
  private finished = false;
  /** A graceful stop is under way: stores are still taken until `onStop` returns. */
  private stopping = false;
  /** `onStart` failures since it last succeeded. */
  private startFailures = 0;
  /** storeMany calls not yet settled: a graceful stop waits for them. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly generator: BlockGenerator;
  private readonly limiter: RateLimiter | undefined;
  private restartTimer: TimerHandle | undefined;
  /** A restart is under way (its stop half may still be running): further restarts are ignored. */
  private restarting = false;
  /** Restarts since the receiver last stored anything: the backoff exponent. */
  private failures = 0;
  /** Bumped by every stop: a start or a wait from an earlier generation must not act. */
  private generation = 0;
  /** storeMany calls waiting for the rate limiter: `release` lets one through, `fail` rejects it. */
  private readonly waiting = new Set<{ release(): void; fail(err: unknown): void }>();
  private lastError: Pick<ReceiverInfo, "lastErrorMessage" | "lastError" | "lastErrorTime"> = {};

  constructor(
    private readonly receiver: Receiver<unknown>,
    readonly streamId: number,
    private readonly blocks: BlockSink,
    private readonly deps: SupervisorDeps,
  ) {
    const bound = deps.backpressure?.register(streamId, receiver.maxRate);
    const initial = bound === undefined ? receiver.maxRate : bound.rate;
    // Under backpressure the bucket exists from the start (unbounded until the first estimate).
    this.limiter = initial === undefined && bound === undefined ? undefined : new RateLimiter(initial ?? Infinity, deps.clock);
    const limiter = this.limiter;
    bound?.onChange((rate) => limiter?.setRate(rate));
    this.generator = new BlockGenerator(
      deps.clock,
      deps.blockInterval,
      this.limiter,
      (records) => void this.blocks.add(records, { hasOffset: false, sync: false }),
      (buffered, bound) => {
        const message = `Receiver ${receiver.name}: store() holds ${buffered} records not yet in a block, over 10 times its bound of ${bound} (one second at the rate limit): the receiver stores faster than the rate without awaiting store(). Await the promise store() returns (or use storeMany) so that the source slows down instead of memory growing`;
        this.reportError(message, new ReceiverError(ErrorCodes.RECEIVER_OVERFLOW, message));
      },
    );
  }

  /** Records stored and not yet cut into a block. */
  get buffered(): number {
    return this.generator.buffered;
  }

  isReceiverStarted(): boolean {
    return this.state === "started";
  }

  isReceiverStopped(): boolean {
    return this.state === "stopped";
  }

  lastStoredOffset(): unknown {
    return this.blocks.lastOffset;
  }

  /** Starts the block generator and the receiver. */
  async start(): Promise<void> {
    this.generator.start();
    await this.startReceiver();
  }

  /** Buffers `item`; resolves when there is room for more (at once during a graceful stop). */
  store(item: unknown): Promise<void> {
    if (this.finished) throw stopped(this.receiver.name, "store");
    this.failures = 0;
    const room = this.generator.add(item);
    return this.stopping ? Promise.resolve() : room;
  }

  storeMany(items: unknown[], options: { offset?: unknown; hasOffset: boolean; ids?: readonly (string | undefined)[] }): Promise<void> {
    if (this.finished) return Promise.reject(stopped(this.receiver.name, "storeMany"));
    this.failures = 0;
    const done = this.storeBlock([...items], options);
    this.inflight.add(done);
    const forget = (): void => void this.inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  private async storeBlock(items: unknown[], options: { offset?: unknown; hasOffset: boolean; ids?: readonly (string | undefined)[] }): Promise<void> {
    if (this.limiter !== undefined) await this.waitUntil(this.limiter.reserve(items.length));
    if (this.finished) throw stopped(this.receiver.name, "storeMany");
    await this.blocks.add(items, { ...options, sync: true });
  }

  /** Cuts what `store` buffered into a block now (before a batch is planned). */
  cut(all = false): void {
    this.generator.cut(all);
  }

  restart(message: string, error: unknown, delayMs: number | undefined): void {
    if (this.finished || this.stopping || this.restarting) return;
    this.restarting = true;
    const delay = Math.min(MAX_RESTART_DELAY, (delayMs ?? DEFAULT_RESTART_DELAY) * 2 ** this.failures);
    // Due from now, not from when onStop returns: the clock may move meanwhile.
    const at = this.deps.clock.now() + delay;
    this.failures++;
    if (error !== undefined) this.reportError(message, error);
    // Said on stderr too, as Spark logs it: a job whose source is not there would otherwise run
    // empty batches without a word to anyone not listening for onReceiverError.
    const why = error === undefined ? "" : `: ${error instanceof Error ? error.message : String(error)}`;
    console.warn(`dstream: receiver ${this.receiver.name} (stream ${this.streamId}): ${message}${why}; restarting in ${delay} ms`);
    // Stop now; start later. A crash in between loses nothing: the blocks already cut are in the WAL.
    void this.stopReceiver(message).then(() => {
      if (this.finished || this.stopping) return;
      this.restartTimer = this.deps.clock.schedule(at, BLOCK_CUT_PRIORITY, async () => {
        this.restartTimer = undefined;
        this.restarting = false;
        if (!this.finished && !this.stopping) await this.startReceiver();
      });
    });
  }

  /**
   * Stops the receiver for good; `flush` cuts everything buffered into a last block. `graceful`
   * (a graceful stop of the context): `store`/`storeMany` are still taken while `onStop` runs, so a
   * receiver that finishes its work there loses nothing; its storeMany calls are let through the
   * rate limiter and awaited, and only then are stores refused.
   */
  async stop(message: string, error?: unknown, flush = true, graceful = false): Promise<void> {
    if (this.finished || this.stopping) return;
    this.stopping = true;
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    if (error !== undefined) this.reportError(message, error);
    if (graceful) {
      await this.stopReceiver(message);
      // What onStop handed over is accepted: the last cut ignores the rate limit, and so do these.
      this.generator.releaseAll();
      for (const w of this.waiting) w.release();
      this.waiting.clear();
      await Promise.allSettled([...this.inflight]);
      this.finished = true;
    } else {
      this.finished = true;
      for (const w of this.waiting) w.fail(stopped(this.receiver.name, "storeMany"));
      this.waiting.clear();
      await this.stopReceiver(message);
    }
    this.generator.stop();
    if (flush) this.generator.cut(true);
    this.generator.releaseAll();
  }

  reportError(message: string, error: unknown): void {
    this.lastError = { lastErrorMessage: message, lastError: describeError(error), lastErrorTime: this.deps.clock.now() };
    this.deps.listenerBus.post("onReceiverError", { receiverInfo: this.info() });
  }

  private async startReceiver(): Promise<void> {
    const generation = this.generation;
    this.state = "starting";
    try {
      await this.receiver.onStart();
    } catch (err) {
      if (generation === this.generation) await this.startFailed(err);
      return;
    }
    if (generation !== this.generation || this.finished || this.stopping) return;
    this.startFailures = 0;
    this.state = "started";
    this.deps.listenerBus.post("onReceiverStarted", { receiverInfo: this.info() });
  }

  /**
   * `onStart` threw or rejected. As Spark's receiver tracker does, the receiver is started again
   * (with the restart backoff, on the context's clock) and each failure is reported; after
   * `receiverMaxRestarts` restarts in a row the context stops with DSTREAM_RECEIVER_FAILED rather
   * than running empty batches for ever.
   */
  private async startFailed(err: unknown): Promise<void> {
    if (this.finished || this.stopping) return;
    const attempt = ++this.startFailures;
    const max = this.deps.receiverMaxRestarts;
    this.reportError(`Error starting receiver (attempt ${attempt} of ${max + 1})`, err);
    if (attempt <= max) {
      this.restart(`Error starting receiver: ${err instanceof Error ? err.message : String(err)}`, undefined, undefined);
      return;
    }
    const why = err instanceof Error ? err.message : String(err);
    const fatal = new ReceiverError(
      ErrorCodes.RECEIVER_FAILED,
      `Receiver ${this.receiver.name} (stream ${this.streamId}) could not be started: onStart failed ${attempt} times in a row (receiverMaxRestarts = ${max}); last error: ${why}`,
      { cause: err },
    );
    await this.stop("Error starting receiver; giving up");
    this.deps.reportFatal(fatal);
  }

  private async stopReceiver(message: string): Promise<void> {
    if (this.state === "stopped") return;
    const wasStarted = this.state === "started";
    if (this.state === "initialized") {
      // onStart never ran (another input failed the context's start first): nothing to release.
      this.state = "stopped";
      this.generation++;
      return;
    }
    this.state = "stopped";
    this.generation++;
    try {
      await this.receiver.onStop();
    } catch (err) {
      this.reportError(`onStop failed while stopping (${message})`, err);
    }
    if (wasStarted) this.deps.listenerBus.post("onReceiverStopped", { receiverInfo: this.info() });
  }

  private waitUntil(at: number): Promise<void> {
    if (at <= this.deps.clock.now()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const handle = this.deps.clock.schedule(at, BLOCK_CUT_PRIORITY, () => {
        this.waiting.delete(entry);
        resolve();
      });
      const entry = {
        release: (): void => {
          handle.cancel();
          resolve();
        },
        fail: (err: unknown): void => {
          handle.cancel();
          reject(err);
        },
      };
      this.waiting.add(entry);
    });
  }

  private info(): ReceiverInfo {
    return { streamId: this.streamId, name: this.receiver.name, active: this.state === "started", ...this.lastError };
  }
}

function stopped(name: string, what: string): ReceiverError {
  return new ReceiverError(ErrorCodes.RECEIVER_STOPPED, `Receiver ${name}: ${what}() was called after the receiver stopped; check isStopped() before storing`);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
