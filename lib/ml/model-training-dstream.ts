import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { ErrorCodes, GraphError } from "../../errors.js";
import type { StreamingContext } from "../streaming-context.js";
import { DStream, ForEachDStream, TransformedDStream, type StateOperator } from "../dstream/internal.js";

/**
 * A model that a stream trains: one value, replaced by every batch that changes it. The trainer
 * owns the model in memory (latestModel() and predictions read it); this operator makes it state.
 */
export interface ModelTrainer<T, S> {
  /** Trains on batch `time`'s records; true when the model changed. */
  train(rdd: RDD<T> | undefined, time: Time): boolean;
  /** The current model as a plain value (checkpointed). */
  state(): S;
  /** Replaces the current model with a checkpointed one. */
  restore(state: S): void;
  /** The model's entries (clusters, or weights), shown as the operator's size in the status line. */
  readonly size: number;
}

/**
 * `trainOn`: updates a model with every batch of its parent, as a stateful operator, so the model
 * is committed with the batch that produced it and `getOrCreate` restores it. Each commit holds the
 * whole model (it is small: k centers, or one weight per feature), so recovery takes the newest.
 * Its RDD is empty: the output operation over it exists so the batch computes it in order with the
 * other output operations (Spark's trainOn is a foreachRDD).
 */
export class ModelTrainingDStream<T, S> extends DStream<never> implements StateOperator {
  private committedThrough: Time | undefined;
  private changed = false;

  constructor(
    readonly parent: DStream<T>,
    private readonly trainer: ModelTrainer<T, S>,
    private readonly modelKind: string,
  ) {
    super(parent.ssc);
    parent.ssc.graph.addStateOperator(this);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  /** The algorithm and its shape (e.g. `StreamingKMeans(k=3)`): a checkpoint of another one is a mismatch. */
  override get kind(): string {
    return this.modelKind;
  }

  get size(): number {
    return this.trainer.size;
  }

  compute(time: Time): RDD<never> | undefined {
    // The restored model already holds this batch: training again would count it twice.
    if (this.committedThrough !== undefined && time <= this.committedThrough) return undefined;
    if (this.trainer.train(this.parent.getOrCompute(time), time)) this.changed = true;
    return RDD.fromPartitions<never>([]);
  }

  takeDelta(): S | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    return this.trainer.state();
  }

  snapshot(): S {
    return this.trainer.state();
  }

  restore(snapshot: unknown, deltas: readonly unknown[], committedThrough: Time): void {
    this.committedThrough = committedThrough;
    this.changed = false;
    let newest = snapshot as S | undefined;
    for (const d of deltas) if (d !== undefined) newest = d as S;
    if (newest !== undefined) this.trainer.restore(newest);
  }
}

/**
 * Registers the training of `trainer` on `data` (Spark's `trainOn`, an output operation) under
 * `uid` when given. `trainedIn` remembers the contexts this model already trains in: a model is
 * one state, so a second trainOn in the same context is refused rather than checkpointed twice.
 */
export function registerTraining<T, S>(data: DStream<T>, trainer: ModelTrainer<T, S>, kind: string, uid: string | undefined, trainedIn: WeakSet<StreamingContext>, what: string): void {
  if (!(data instanceof DStream)) throw new TypeError(`${what}.trainOn(data) expects a DStream; got ${String(data)}`);
  if (trainedIn.has(data.ssc)) {
    throw new GraphError(ErrorCodes.GRAPH_INVALID, `${what}.trainOn was already called in this StreamingContext; a model trains on one stream (union the streams first)`);
  }
  const op = new ModelTrainingDStream(data, trainer, kind);
  if (uid !== undefined) op.name(uid);
  trainedIn.add(data.ssc);
  new ForEachDStream(op, () => undefined, "trainOn", `${what}.trainOn`);
}

/**
 * A stream of `predict(record)` for each record of `data`, with the model as it is when the batch
 * computes this stream (after the same batch's training when trainOn was registered first, as in
 * Spark): a model is replaced, never changed in place, so the batch keeps the one it bound.
 */
export function predictStream<T, U, M>(data: DStream<T>, model: () => M, predict: (m: M, record: T) => U, what: string): DStream<U> {
  if (!(data instanceof DStream)) throw new TypeError(`${what} expects a DStream; got ${String(data)}`);
  return new TransformedDStream<U>(
    [data],
    (rdds) => {
      const m = model();
      return (rdds[0] as RDD<T>).map((x) => predict(m, x));
    },
    what,
  );
}

/** `predictOnValues`: `predict` on the value of each `[key, value]` record, keeping the key. */
export function predictValuesStream<K, T, U, M>(data: DStream<[K, T]>, model: () => M, predict: (m: M, record: T) => U, what: string): DStream<[K, U]> {
  return predictStream(
    data,
    model,
    (m, kv: [K, T]): [K, U] => {
      if (!Array.isArray(kv) || kv.length !== 2) throw new TypeError(`${what} expects [key, vector] records; got ${String(kv)}`);
      return [kv[0], predict(m, kv[1])];
    },
    what,
  );
}
