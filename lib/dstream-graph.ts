import { ContextStateError, ErrorCodes, GraphError } from "../errors.js";
import type { GraphFingerprint, OperatorFingerprint } from "../recovery/fingerprint.js";
import type { Duration, Time } from "./time.js";
import { isStateOperator, type DStream, type ForEachDStream, type InputDStream, type Job, type StateOperator } from "./dstream/internal.js";

type Phase = "building" | "started" | "stopped";

/**
 * The operators of one context: every stream in creation order, the inputs, the output operations
 * in registration order, and the stateful operators. Closed to changes once started.
 */
export class DStreamGraph {
  private readonly streams: DStream<unknown>[] = [];
  readonly inputStreams: InputDStream<unknown>[] = [];
  readonly outputStreams: ForEachDStream<unknown>[] = [];
  readonly stateOperators: (StateOperator & DStream<unknown>)[] = [];
  private readonly names = new Map<string, DStream<unknown>>();
  /** Stateful operators a plain window reads back from, and how far back (set at start). */
  private readonly history = new Map<StateOperator & DStream<unknown>, Duration>();
  private phase: Phase = "building";
  private remembered: Duration | undefined;
  zeroTime: Time | undefined;

  constructor(readonly batchDuration: Duration) {}

  /** Throws unless operators may still be added; `what` says what the caller tried. */
  checkNotStarted(what: string): void {
    if (this.phase === "started") {
      throw new ContextStateError(ErrorCodes.CONTEXT_STATE, `Cannot ${what} after the StreamingContext has started; define every operator and output operation before start()`);
    }
    if (this.phase === "stopped") {
      throw new ContextStateError(ErrorCodes.CONTEXT_STATE, `Cannot ${what} after the StreamingContext has stopped; create a new StreamingContext`);
    }
  }

  /** Adds a stream; returns its creation-order id. */
  register(stream: DStream<unknown>): number {
    this.checkNotStarted(`add ${stream.constructor.name}`);
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  /** Reserves a `name()` for one operator. */
  claimName(uid: string, stream: DStream<unknown>): void {
    const holder = this.names.get(uid);
    if (holder !== undefined && holder !== stream) {
      throw new GraphError(ErrorCodes.GRAPH_INVALID, `Operator name "${uid}" is already used by ${holder.kind} #${holder.id}; names must be unique`);
    }
    if (/^\d+$/.test(uid)) throw new TypeError(`name(uid) must not be a plain number ("${uid}"): numbers are the default ids`);
    // The engine keeps its own records beside operator states under such keys (a group snapshot's
    // input positions are "$positions"): an operator of that name would overwrite them.
    if (uid.startsWith("$")) throw new TypeError(`name(uid) must not start with "$" ("${uid}"): dstream keeps its own records under such names`);
    for (const [name, holder] of this.names) if (holder === stream) this.names.delete(name);
    this.names.set(uid, stream);
  }

  /**
   * Runs `build` (one operation, e.g. mapWithState) and records the streams it created besides the
   * one it returns as that stream's parts, so that `name()` on the result names them too: the state
   * of an operation often lives in such an internal stream.
   */
  composite<S extends DStream<unknown>>(build: () => S): S {
    const mark = this.streams.length;
    const out = build();
    out.adoptParts(this.streams.slice(mark).filter((s) => s !== out));
    return out;
  }

  /** Every stream in creation order: a stream's dependencies always come before it. */
  get streamsInOrder(): readonly DStream<unknown>[] {
    return this.streams;
  }

  /** Forgets every generated RDD (a group member whose partitions changed: cached batches lack the new ones). */
  forgetGenerated(): void {
    for (const s of this.streams) s.forgetGenerated();
  }

  addInputStream(stream: InputDStream<unknown>): number {
    this.inputStreams.push(stream);
    return this.inputStreams.length - 1;
  }

  addOutputStream(stream: ForEachDStream<unknown>): number {
    this.outputStreams.push(stream);
    return this.outputStreams.length - 1;
  }

  addStateOperator(op: StateOperator & DStream<unknown>): void {
    this.stateOperators.push(op);
  }

  /** `ssc.remember(d)`: every stream keeps its RDDs for at least `d`. */
  remember(duration: Duration): void {
    this.checkNotStarted("call remember()");
    this.remembered = duration;
  }

  /** Checks the graph can run; `checkpointing` says whether a checkpoint directory is set. */
  validate(checkpointing: boolean): void {
    if (this.outputStreams.length === 0) {
      throw new GraphError(ErrorCodes.GRAPH_INVALID, "No output operations registered, so nothing to execute; add foreachRDD, print or saveAsTextFiles before start()");
    }
    const stateful = this.stateOperators[0];
    if (!checkpointing && stateful !== undefined) {
      throw new GraphError(
        ErrorCodes.CHECKPOINT_REQUIRED,
        `${stateful.kind} ${stateful.operatorId} keeps state between batches and needs a checkpoint directory; call ssc.checkpoint(dir) or use StreamingContext.getOrCreate(dir, setup)`,
      );
    }
  }

  /** Fixes the zero time, propagates remember durations and validates every stream. */
  start(zeroTime: Time): void {
    this.checkNotStarted("start the graph");
    this.zeroTime = zeroTime;
    for (const out of this.outputStreams) out.initialize(zeroTime);
    for (const out of this.outputStreams) out.remember(this.remembered);
    for (const out of this.outputStreams) out.validateAtStart();
    this.findHistory();
    this.phase = "started";
  }

  /**
   * A plain window over a stateful operator (directly or through stateless operators) reads that
   * operator's RDDs of earlier batches. After a restart those cannot be computed again (the state
   * has moved on), so such operators keep their outputs of the window's span in the checkpoint.
   * (reduceByKeyAndWindow with an inverse keeps its own slices and needs none of this.)
   */
  private findHistory(): void {
    for (const s of this.streams) {
      const span = (s as { windowDuration?: Duration }).windowDuration;
      if (span === undefined || isStateOperator(s)) continue;
      const todo = [...s.dependencies];
      const seen = new Set<DStream<unknown>>();
      while (todo.length > 0) {
        const d = todo.pop() as DStream<unknown>;
        if (seen.has(d)) continue;
        seen.add(d);
        if (isStateOperator(d)) {
          // Its remember duration is the whole span read back through every window in between
          // (a window over a window reaches back over both).
          const op = d as StateOperator & DStream<unknown>;
          this.history.set(op, Math.max(this.history.get(op) ?? 0, span, op.rememberDuration ?? 0));
        } else {
          todo.push(...d.dependencies);
        }
      }
    }
  }

  /** The stateful operators whose outputs each commit keeps (see findHistory). */
  historyOperators(): (StateOperator & DStream<unknown>)[] {
    return [...this.history.keys()];
  }

  /** How far back the outputs of `op` are kept; 0 when they are not. */
  historyDuration(op: StateOperator & DStream<unknown>): Duration {
    return this.history.get(op) ?? 0;
  }

  /** Closes the graph for good. */
  stop(): void {
    this.phase = "stopped";
  }

  /** The output operations' jobs for `time`, in registration order (computing their RDDs lazily). */
  *jobs(time: Time): Generator<{ output: ForEachDStream<unknown>; job: () => Job | undefined }> {
    for (const output of this.outputStreams) yield { output, job: () => output.generateJob(time) };
  }

  /** Forgets RDDs no stream needs after batch `time`. */
  clearMetadata(time: Time): void {
    for (const out of this.outputStreams) out.clearMetadata(time);
  }

  /** The longest time any input must keep its batches (the widest window), after start. */
  get maxInputRemember(): Duration {
    let max = this.batchDuration;
    for (const input of this.inputStreams) max = Math.max(max, input.rememberDuration ?? 0);
    return max;
  }

  /** The fingerprint compared on recovery. */
  fingerprint(): GraphFingerprint {
    return {
      batchDuration: this.batchDuration,
      operators: this.streams.map((s) => {
        const windowDuration = (s as { windowDuration?: Duration }).windowDuration;
        const op: OperatorFingerprint = {
          id: s.operatorId,
          kind: s.kind,
          dependencies: s.dependencies.map((d) => d.operatorId),
          slideDuration: s.slideDuration,
          stateful: isStateOperator(s),
        };
        if (windowDuration !== undefined) op.windowDuration = windowDuration;
        return op;
      }),
    };
  }
}
