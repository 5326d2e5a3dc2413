import { ContextStateError, ErrorCodes, StreamingError } from "../errors.js";
import { Backpressure, type BackpressureOptions } from "./backpressure/backpressure.js";
import { SystemClock, schedulingClock, type Clock, type SchedulingClock } from "./clock.js";
import { openCheckpointSession, type CheckpointOptions, type CheckpointSession, type PendingBatch } from "./checkpoint/session.js";
import { DStreamGraph } from "./dstream-graph.js";
import { QueueInputDStream, TransformedDStream, UnionDStream, type DStream } from "./dstream/internal.js";
import { ListenerBus, type StreamingListener } from "./listener.js";
import { FileInputDStream, type FileStreamOptions } from "./input/file-input-dstream.js";
import { SocketReceiver } from "./input/socket-receiver.js";
import { ReceiverInputDStream, type ReceiverStream } from "./receiver/receiver-input-dstream.js";
import type { Receiver } from "./receiver/receiver.js";
import { DEFAULT_RECEIVER_MAX_RESTARTS } from "./receiver/supervisor.js";
import { RDD } from "./rdd/rdd.js";
import { MqttReceiver } from "./sources/mqtt/mqtt-receiver.js";
import type { MqttStreamOptions } from "./sources/mqtt/options.js";
import { ZeroMqReceiver, type ZeroMqStreamOptions } from "./sources/zeromq/zeromq-receiver.js";
import type { RabbitMqStreamOptions } from "./sources/rabbitmq/options.js";
import { RabbitMqReceiver } from "./sources/rabbitmq/rabbitmq-receiver.js";
import { memoryBatchLog } from "./scheduler/batch-log.js";
import { lastGridTimeAtOrBefore } from "./scheduler/catch-up.js";
import { JobScheduler } from "./scheduler/job-scheduler.js";
import { sqlEngine } from "./sql/sql-engine.js";
import { requirePositiveDuration, type Duration, type Time } from "./time.js";
import { LiveUi, resolveUiOptions, type UiOptions } from "./ui/live-ui.js";
import { JetStreamInputDStream } from "./sources/jetstream/jetstream-input-dstream.js";
import type { JetStreamMessage, JetStreamOptions } from "./sources/jetstream/jetstream-options.js";
import type { GroupBatchView, GroupHandle } from "./group/contracts.js";
import { resolveGroupOptions, type GroupOptions, type ResolvedGroupOptions } from "./group/group-options.js";
import { GroupRuntime } from "./group/group-runtime.js";
import { newJobId } from "./job-identity.js";
import { GroupReceiverInputDStream } from "./group/group-receiver.js";

/** Options of a StreamingContext. */
export interface StreamingContextOptions {
  batchDuration: Duration;
  appName?: string;
  /** Default: SystemClock. Tests pass a ManualClock. */
  clock?: Clock;
  /** Same as `checkpoint(dir)`. */
  checkpointDir?: string;
  /** How often receivers cut stored records into blocks; default 200 ms. */
  blockInterval?: Duration;
  /**
   * On SIGTERM/SIGINT: stop receiving, process what was received, commit, then exit. A second
   * signal a second or more later stops at once (what no batch committed runs at the next start).
   * Default false.
   */
  stopGracefullyOnShutdown?: boolean;
  /** Snapshot interval, retention and (for crash tests) the store of the checkpoint. */
  checkpointOptions?: CheckpointOptions;
  /**
   * A receiver whose `onStart` throws is restarted with backoff (2 s doubling to 60 s, on the
   * context's clock), each failure reported to `onReceiverError`; after this many restarts in a
   * row the context stops with DSTREAM_RECEIVER_FAILED. Default 8 (about four minutes); 0 gives up
   * at the first failure; Infinity never does.
   */
  receiverMaxRestarts?: number;
  /** The live UI, REST API and /metrics (read-only); default false. `{}`: 127.0.0.1:4040. */
  ui?: false | UiOptions;
  /** Spark's PID rate estimator bounds each input's rate (never above its maxRate); default false. */
  backpressure?: boolean | BackpressureOptions;
  /**
   * Run as one member of a group of processes (DESIGN.md §10): members with the same name divide
   * the partitions of the jetStream inputs; state, shuffles and commits live in JetStream.
   */
  group?: GroupOptions;
}

/** Every option's name (the compiler keeps it complete): a misspelt one is refused, not ignored. */
const OPTION_NAMES: Record<keyof StreamingContextOptions, true> = {
  batchDuration: true,
  appName: true,
  clock: true,
  checkpointDir: true,
  blockInterval: true,
  stopGracefullyOnShutdown: true,
  checkpointOptions: true,
  receiverMaxRestarts: true,
  ui: true,
  backpressure: true,
  group: true,
};

/** Throws a TypeError naming an option `new StreamingContext` does not know (JavaScript callers, or a spread). */
function requireKnownOptions(options: object): void {
  const unknown = Object.keys(options).filter((k) => !Object.hasOwn(OPTION_NAMES, k));
  if (unknown.length === 0) return;
  const names = unknown.map((k) => JSON.stringify(k)).join(", ");
  throw new TypeError(`new StreamingContext(options): unknown option ${names}; the options are ${Object.keys(OPTION_NAMES).join(", ")}`);
}

type ContextState = "initialized" | "active" | "stopped";

let active: StreamingContext | undefined;

/**
 * The entry point of a streaming job: define input streams and operators, then `start()`.
 * One context is active per process at a time.
 */
export class StreamingContext {
  readonly batchDuration: Duration;
  readonly appName: string;
  readonly blockInterval: Duration;
  readonly clock: SchedulingClock;
  /** See {@link StreamingContextOptions.receiverMaxRestarts}. */
  readonly receiverMaxRestarts: number;
  /** The operators of this context. */
  readonly graph: DStreamGraph;
  /** Listener events of this context. */
  readonly listenerBus = new ListenerBus();
  /** Per-input rate limits, when `backpressure` is on. */
  readonly backpressure: Backpressure | undefined;
  private readonly ui: LiveUi | undefined;
  /** The `group` option, validated; undefined when the job runs alone. */
  readonly groupOptions: ResolvedGroupOptions | undefined;
  /** @internal In a group: the partition count, known once the job starts. */
  groupPartitions: number | undefined;
  private groupMember: GroupRuntime | undefined;
  private state: ContextState = "initialized";
  private dir: string | undefined;
  private session: CheckpointSession | undefined;
  private ownJobId: string | undefined;
  private scheduler: JobScheduler | undefined;
  private readonly stopGracefullyOnShutdown: boolean;
  private readonly checkpointOptions: CheckpointOptions;
  private signalHandler: ((signal: NodeJS.Signals) => void) | undefined;
  private readonly termination: { promise: Promise<void>; resolve(): void; reject(err: unknown): void };
  private stopping: Promise<void> | undefined;
  /** The error that stopped the context, if one did. */
  private failure: unknown;

  constructor(options: StreamingContextOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("new StreamingContext(options) expects { batchDuration, … }");
    requireKnownOptions(options);
    this.batchDuration = requirePositiveDuration(options.batchDuration, "batchDuration");
    if (options.appName !== undefined && typeof options.appName !== "string") throw new TypeError(`appName must be a string; got ${typeof options.appName}`);
    this.appName = options.appName ?? "dstream";
    this.blockInterval = requirePositiveDuration(options.blockInterval ?? 200, "blockInterval");
    this.clock = schedulingClock(options.clock ?? new SystemClock());
    this.stopGracefullyOnShutdown = options.stopGracefullyOnShutdown ?? false;
    this.receiverMaxRestarts = requireRestarts(options.receiverMaxRestarts ?? DEFAULT_RECEIVER_MAX_RESTARTS);
    this.checkpointOptions = { ...options.checkpointOptions };
    this.graph = new DStreamGraph(this.batchDuration);
    this.groupOptions = resolveGroupOptions(options.group);
    // Before the UI's listener: the UI then shows the rate set by the batch it reports.
    this.backpressure = Backpressure.fromOption(options.backpressure, this.batchDuration);
    if (this.backpressure !== undefined) this.listenerBus.add(this.backpressure);
    const ui = resolveUiOptions(options.ui);
    this.ui = ui === undefined ? undefined : new LiveUi(this, ui);
    if (options.checkpointDir !== undefined) this.checkpoint(options.checkpointDir);
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be awaiting termination when the context fails: don't make that unhandled.
    promise.catch(() => undefined);
    this.termination = { promise, resolve, reject };
  }

  /** True when getOrCreate restored this context from a checkpoint. */
  get recovered(): boolean {
    return this.session?.recovered ?? false;
  }

  /** The checkpoint directory, if one is set. */
  get checkpointDir(): string | undefined {
    return this.dir;
  }

  /** The URL of the live UI once started (`ui` option), e.g. `http://127.0.0.1:4040/`. */
  get uiUrl(): string | undefined {
    return this.ui?.url;
  }

  /** In a group: this member, its partitions and the group's members (once started). */
  get group(): GroupHandle | undefined {
    return this.groupMember;
  }

  /** @internal In a group: the running batch's partitions; read by operators while a batch runs. */
  get groupRuntime(): GroupBatchView | undefined {
    return this.groupMember;
  }

  /**
   * @internal The job's identity, as the exactly-once sinks write it (lib/job-identity.ts): in a
   * group, the id its meta keeps (`group:<name>:<random>`); with a checkpoint, the id its meta
   * record keeps; undefined for a group or checkpoint created before job ids existed (its sinks
   * write as they did); else one per context. Read at batch time (the group is joined, the
   * checkpoint open by then).
   */
  get jobId(): string | undefined {
    if (this.groupOptions !== undefined) return this.groupMember?.jobId;
    if (this.session !== undefined) return this.session.jobId;
    return (this.ownJobId ??= newJobId());
  }

  /** The open checkpoint session, once getOrCreate or start() has opened it. */
  get checkpointSession(): CheckpointSession | undefined {
    return this.session;
  }

  getState(): ContextState {
    return this.state;
  }

  /** Sets the checkpoint directory (before start). */
  checkpoint(dir: string): void {
    if (typeof dir !== "string" || dir.length === 0) throw new TypeError(`checkpoint(dir) expects a directory path; got ${String(dir)}`);
    this.graph.checkNotStarted("set the checkpoint directory");
    if (this.session !== undefined && dir !== this.dir) {
      throw new ContextStateError(ErrorCodes.CONTEXT_STATE, `This context is bound to checkpoint directory ${this.dir}; it cannot move to ${dir}`);
    }
    this.dir = dir;
  }

  /** Every stream keeps its RDDs for at least `duration` (for `slice` or late queries). */
  remember(duration: Duration): void {
    this.graph.remember(requirePositiveDuration(duration, "remember(duration)"));
  }

  /** A stream fed from `queue`: one array per batch (all waiting arrays with `oneAtATime: false`). */
  queueStream<T>(queue: T[][], options?: { oneAtATime?: boolean; defaultBatch?: T[] }): DStream<T> {
    if (!Array.isArray(queue)) throw new TypeError(`queueStream(queue) expects an array of arrays; got ${typeof queue}`);
    if (options?.defaultBatch !== undefined && !Array.isArray(options.defaultBatch)) throw new TypeError("queueStream defaultBatch must be an array");
    return new QueueInputDStream<T>(this, queue, options?.oneAtATime ?? true, options?.defaultBatch);
  }

  /**
   * The records `receiver` stores, cut into blocks every `blockInterval`; one receiver per stream.
   * In a group every member runs the receiver and its blocks go to the group's JetStream stream
   * instead of the WAL, partitioned like the group's other inputs (lib/group/group-receiver.ts).
   */
  receiverStream<T>(receiver: Receiver<T>): ReceiverStream<T> {
    if (this.groupOptions !== undefined) return new GroupReceiverInputDStream<T>(this, receiver, this.groupOptions);
    return new ReceiverInputDStream<T>(this, receiver);
  }

  /**
   * The UTF-8 lines a TCP server at `host:port` sends; reconnects with backoff when it goes away.
   * In a group every member connects: each gets what the server sends its connection.
   */
  socketTextStream(host: string, port: number): ReceiverStream<string> {
    return this.receiverStream(new SocketReceiver(host, port));
  }

  /** The lines of the files that appear in `dir`, each file in exactly one batch. */
  textFileStream(dir: string, options?: FileStreamOptions): FileInputDStream {
    return new FileInputDStream(this, dir, options);
  }

  /** An RDD of `data`, split into `numPartitions` contiguous partitions. */
  parallelize<T>(data: readonly T[], numPartitions = 1): RDD<T> {
    return RDD.parallelize(data, numPartitions);
  }

  /** The records of all `streams`, batch by batch. */
  union<T>(...streams: DStream<T>[]): DStream<T> {
    if (streams.length === 0) throw new TypeError("union(...streams) expects at least one stream");
    return new UnionDStream(streams);
  }

  /** Applies `fn` to the RDDs of `streams` at each batch. */
  transform<U>(streams: DStream<any>[], fn: (rdds: RDD<any>[], time: Time) => RDD<U>): DStream<U> {
    if (!Array.isArray(streams) || streams.length === 0) throw new TypeError("transform(streams, fn) expects a non-empty array of streams");
    if (typeof fn !== "function") throw new TypeError("transform(streams, fn) expects a function");
    return new TransformedDStream<U>(streams, fn);
  }

  /**
   * The messages of a RabbitMQ queue, acknowledged only once their block is durable (a reliable
   * receiver; redeliveries after a crash are dropped when the WAL holds them). See RabbitMqReceiver.
   */
  rabbitMqStream<T = string>(options: RabbitMqStreamOptions): ReceiverStream<T> {
    return this.receiverStream(new RabbitMqReceiver<T>(options));
  }

  /**
   * The messages of MQTT topics through a persistent session; at QoS 1/2 acknowledged only once
   * their block is durable (a reliable receiver; DUP resends the WAL holds are dropped). See MqttReceiver.
   */
  mqttStream<T = string>(options: MqttStreamOptions): ReceiverStream<T> {
    if (this.groupOptions !== undefined) {
      // Shared subscriptions ($share/…) would spread messages over members, but Mosquitto keeps a
      // dead member's unacknowledged messages in that member's session (no other member gets
      // them) and MQTT has no message identity to drop a redelivery with.
      throw new StreamingError(
        ErrorCodes.GROUP_UNSUPPORTED,
        `group "${this.groupOptions.name}": mqttStream cannot be divided among members (a dead member's unacknowledged MQTT messages stay in its own session, and MQTT messages carry no identity to drop a redelivery by); run the MQTT receiver in a job alone, or bridge the topics into a JetStream stream and read it with ssc.jetStream`,
      );
    }
    return this.receiverStream(new MqttReceiver<T>(options));
  }

  /**
   * The messages of a ZeroMQ SUB or PULL socket: at-most-once (ZeroMQ has no acknowledgements).
   * See ZeroMqReceiver.
   */
  zeroMqStream<T = string>(options: ZeroMqStreamOptions): ReceiverStream<T> {
    const receiver = new ZeroMqReceiver<T>(options);
    if (this.groupOptions !== undefined && receiver.type === "sub") {
      throw new StreamingError(
        ErrorCodes.GROUP_UNSUPPORTED,
        `group "${this.groupOptions.name}": a ZeroMQ SUB socket in every member would receive every message once per member; in a group use type "pull" (ZeroMQ spreads a PUSH socket's messages over the members' PULL sockets)`,
      );
    }
    return this.receiverStream(receiver);
  }

  /**
   * Runs a SQL query over the latest batch of every table registered with `rdd.registerTempTable`
   * (tables are process-wide, as with Spark's SQLContext). Throws a `SqlError` when it fails.
   */
  sql(query: string): Record<string, unknown>[] {
    return sqlEngine.query(query);
  }

  addStreamingListener(listener: StreamingListener): void {
    this.listenerBus.add(listener);
  }

  removeStreamingListener(listener: StreamingListener): void {
    this.listenerBus.remove(listener);
  }

  /**
   * Starts the job. With a checkpoint, first re-runs the batches that were planned but not
   * committed, then the batch times that passed while the job was down, then follows the clock.
   */
  async start(): Promise<void> {
    if (this.state === "active") return;
    if (this.state === "stopped") {
      throw new ContextStateError(ErrorCodes.CONTEXT_STATE, "This StreamingContext has been stopped and cannot be started again; create a new StreamingContext");
    }
    if (active !== undefined && active !== this) {
      // As in Spark, this one check leaves the context "initialized": it may start once the other stops.
      throw new ContextStateError(ErrorCodes.CONTEXT_ACTIVE, "Only one StreamingContext may be active in a process; stop the active one (StreamingContext.getActive()) first");
    }
    active = this;
    this.state = "active";
    if (this.groupOptions !== undefined) return this.startMember(this.groupOptions);
    let pending: PendingBatch[];
    try {
      // As in Spark, a start that fails leaves the context stopped: its checkpoint closed (the
      // lock released) and every input that had started stopped again.
      this.graph.validate(this.dir !== undefined);
      if (this.dir !== undefined && this.session === undefined) this.session = await openCheckpointSession(this.dir, this.graph, this.checkpointOptions);
      const session = this.session;
      const bd = this.batchDuration;
      const zeroTime = session?.zeroTime ?? (Math.floor(this.clock.now() / bd) + 1) * bd - bd;
      this.graph.start(zeroTime);
      this.scheduler = new JobScheduler({
        graph: this.graph,
        listeners: this.listenerBus,
        clock: this.clock,
        log: session?.log ?? memoryBatchLog,
        batchDuration: bd,
        onError: (err) => void this.fail(err),
      });
      pending = (await session?.restore()) ?? [];
      await this.ui?.listen();
      for (const input of this.graph.inputStreams) await input.startInput();
    } catch (err) {
      await this.fail(err);
      throw err;
    }
    // Stopped meanwhile: by stop(), or by a receiver that gave up starting (receiverMaxRestarts 0).
    if (this.stopping !== undefined) return this.startInterrupted();
    this.installSignalHandlers();
    this.listenerBus.post("onStreamingStarted", { time: this.clock.now() });
    try {
      await this.resume(pending);
    } catch (err) {
      await this.fail(err);
      throw err;
    }
  }

  /** start() in a group: join, then the member runs batches for the partitions it holds. */
  private async startMember(options: ResolvedGroupOptions): Promise<void> {
    try {
      // The group's log is the checkpoint: stateful operators need no directory.
      this.graph.validate(true);
      const member = new GroupRuntime(this, options, { onError: (err: unknown) => void this.fail(err) });
      this.groupMember = member;
      await member.join();
      // Receivers publish to the group's stream from now on (lib/group/group-receiver.ts).
      for (const input of this.graph.inputStreams) if (input instanceof GroupReceiverInputDStream) await input.startInput();
      await this.ui?.listen();
    } catch (err) {
      await this.fail(err);
      throw err;
    }
    if (this.stopping !== undefined) return this.startInterrupted();
    this.installSignalHandlers();
    this.listenerBus.post("onStreamingStarted", { time: this.clock.now() });
    this.groupMember.run();
  }

  private async startInterrupted(): Promise<void> {
    await this.stopping;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Re-runs the batches planned before a crash, then the batch times that passed while the job was
   * down (like Spark: windows, state timeouts and updateStateByKey see every grid time), then
   * follows the clock. The missed times are one catch-up event of the scheduler (see
   * JobScheduler.catchUp): announced, cheap when empty, and closed to input received since the
   * restart, which goes to batches after the last missed time.
   */
  private async resume(pending: readonly PendingBatch[]): Promise<void> {
    const scheduler = this.scheduler as JobScheduler;
    const bd = this.batchDuration;
    const zeroTime = this.graph.zeroTime as Time;
    const last = pending.at(-1)?.time ?? this.session?.lastCommittedTime;
    const from = last === undefined ? zeroTime + bd : last + bd;
    const to = this.session?.recovered === true ? lastGridTimeAtOrBefore(this.clock.now(), zeroTime, bd) : from - bd;
    if (to >= from) this.session?.history.recordCatchUp(from, to, bd);
    if (pending.length > 0 || to >= from) await scheduler.catchUp(pending, from, to);
    if (this.state === "active") scheduler.startTimer(Math.max(from, to + bd));
  }

  /**
   * Stops the job. With `stopGracefully`, receivers stop first and everything they stored is
   * processed and committed before the context stops. Idempotent.
   */
  async stop(options?: { stopGracefully?: boolean }): Promise<void> {
    if (this.state === "initialized") {
      this.state = "stopped";
      this.graph.stop();
      await this.session?.close();
      this.termination.resolve();
      return;
    }
    this.stopping ??= this.shutdown(undefined, options?.stopGracefully ?? false);
    // After a failure the UI stayed up for inspection: an explicit stop closes it.
    await this.stopping.finally(() => this.ui?.close());
  }

  /** Resolves when the context stops; rejects with the error that stopped it. */
  awaitTermination(): Promise<void> {
    return this.termination.promise;
  }

  /** Waits up to `ms` (wall-clock) for the context to stop; true when it stopped. Rejects like awaitTermination. */
  async awaitTerminationOrTimeout(ms: number): Promise<boolean> {
    if (typeof ms !== "number") throw new TypeError(`awaitTerminationOrTimeout(ms) expects a number of ms; got ${typeof ms}`);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`awaitTerminationOrTimeout(ms) expects a non-negative number; got ${ms}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.termination.promise.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The active context of this process, if any. */
  static getActive(): StreamingContext | undefined {
    return active;
  }

  /** The active context, or a new one from `setup`. */
  static async getActiveOrCreate(setup: () => StreamingContext | Promise<StreamingContext>): Promise<StreamingContext> {
    return active ?? (await callSetup(setup));
  }

  /**
   * The context for `checkpointDir`: `setup` always runs (closures cannot be stored), then the
   * checkpoint, if there is one, is bound to the graph it built; a graph that differs fails with
   * DSTREAM_CHECKPOINT_MISMATCH before anything runs. `recovered` tells the two cases apart.
   */
  static async getOrCreate(checkpointDir: string, setup: () => StreamingContext | Promise<StreamingContext>): Promise<StreamingContext> {
    if (typeof checkpointDir !== "string" || checkpointDir.length === 0) throw new TypeError(`getOrCreate(checkpointDir, setup) expects a directory path; got ${String(checkpointDir)}`);
    const ssc = await callSetup(setup);
    // A group keeps its state in JetStream (DESIGN.md §10): the directory holds nothing.
    if (ssc.groupOptions !== undefined) return ssc;
    ssc.checkpoint(checkpointDir);
    try {
      ssc.session = await openCheckpointSession(checkpointDir, ssc.graph, ssc.checkpointOptions);
    } catch (err) {
      await ssc.stop().catch(() => undefined);
      throw err;
    }
    return ssc;
  }

  /**
   * Stops the context with `err`: awaitTermination rejects with it. For engine parts that fail
   * outside a batch (a receiver that could not be started within `receiverMaxRestarts`).
   */
  reportFatal(err: unknown): void {
    void this.fail(err);
  }

  private async fail(err: unknown): Promise<void> {
    this.stopping ??= this.shutdown(err, false);
    await this.stopping;
  }

  private async shutdown(error: unknown, graceful = false): Promise<void> {
    this.failure = error;
    const inputs = this.graph.inputStreams;
    if (error === undefined) {
      // A member finishes its batch before the inputs it reads from close.
      await this.groupMember?.stop(graceful);
      for (const input of inputs) await input.stopInput(graceful);
      await this.scheduler?.stop(graceful);
    } else {
      await this.scheduler?.stop(false);
      await this.groupMember?.stop().catch(() => undefined);
      for (const input of inputs) await input.stopInput(false).catch(() => undefined);
    }
    this.state = "stopped";
    this.graph.stop();
    if (active === this) active = undefined;
    let closeError: unknown;
    await this.session?.close().catch((e: unknown) => (closeError = e));
    // A failed job keeps its UI up (not holding the process) so its error can be read; stop() closes it.
    if (error !== undefined) this.ui?.keepForInspection();
    else await this.ui?.close();
    this.removeSignalHandlers();
    if (error !== undefined) this.termination.reject(error);
    else if (closeError !== undefined) this.termination.reject(closeError);
    else this.termination.resolve();
  }

  /**
   * A direct stream over a JetStream stream (Spark's Kafka direct stream): partition p is the
   * subject `${subject}.${p}`; each batch records the sequence ranges it reads, so a re-run batch
   * reads the same messages. See lib/sources/jetstream/.
   */
  jetStream<T = string>(options: JetStreamOptions): DStream<JetStreamMessage<T>> {
    return new JetStreamInputDStream<T>(this, options);
  }

  private installSignalHandlers(): void {
    if (!this.stopGracefullyOnShutdown) return;
    let signalledAt: number | undefined;
    const handler = (signal: NodeJS.Signals): void => {
      if (signalledAt !== undefined) {
        // Ctrl-C reaches every process of the terminal's group and npm or tsx forward it again:
        // repeats within a second are that echo. A signal after it is the user asking again while
        // the drain hangs (a sink that does not answer): stop at once, as a crash would. Nothing
        // acknowledged is lost: what no batch committed runs again at the next start.
        if (Date.now() - signalledAt < FORCE_STOP_AFTER_MS) return;
        process.stderr.write(`dstream: ${signal} again while stopping gracefully: stopping now; batches not committed run again at the next start\n`);
        this.removeSignalHandlers();
        process.kill(process.pid, signal);
        return;
      }
      signalledAt = Date.now();
      void this.stop({ stopGracefully: true }).finally(() => {
        this.removeSignalHandlers();
        // Code awaiting termination runs (and prints) first; then the signal ends the process.
        setImmediate(() => process.kill(process.pid, signal));
      });
    };
    this.signalHandler = handler;
    process.on("SIGTERM", handler);
    process.on("SIGINT", handler);
  }

  private removeSignalHandlers(): void {
    if (this.signalHandler === undefined) return;
    process.off("SIGTERM", this.signalHandler);
    process.off("SIGINT", this.signalHandler);
    this.signalHandler = undefined;
  }
}

/** A second SIGINT/SIGTERM this long after the first stops a graceful stop at once (see installSignalHandlers). */
const FORCE_STOP_AFTER_MS = 1000;

function requireRestarts(n: number): number {
  if (n === Infinity || (Number.isInteger(n) && n >= 0)) return n;
  throw new RangeError(`receiverMaxRestarts must be a non-negative integer or Infinity; got ${String(n)}`);
}

async function callSetup(setup: () => StreamingContext | Promise<StreamingContext>): Promise<StreamingContext> {
  if (typeof setup !== "function") throw new TypeError("setup must be a function returning a StreamingContext");
  const ssc = await setup();
  if (!(ssc instanceof StreamingContext)) throw new TypeError(`setup must return a StreamingContext; it returned ${String(ssc)}`);
  return ssc;
}
