import { RDD } from "../rdd/rdd.js";
import { notPlainRecord } from "../receiver/plain-records.js";
import type { Time } from "../time.js";
import { InputDStream, type DStream } from "./internal.js";

/** A queue stream's batch plan: the arrays it handed to the batch, one partition each. */
export interface QueuePlan<T> {
  parts: T[][];
}

/**
 * `ssc.queueStream`: each batch takes the next array of `queue` (or every waiting array with
 * `oneAtATime: false`); an empty queue gives `defaultBatch` or an empty batch. The arrays handed to a
 * batch are its plan, so with a checkpoint directory they are logged and the batch recovers.
 */
export class QueueInputDStream<T> extends InputDStream<T, QueuePlan<T>> {
  constructor(
    ssc: DStream<T>["ssc"],
    private readonly queue: T[][],
    private readonly oneAtATime: boolean,
    private readonly defaultBatch: T[] | undefined,
  ) {
    super(ssc);
    const bad = defaultBatch === undefined ? undefined : notPlainRecord(defaultBatch, "queueStream(queue, { defaultBatch })");
    if (bad !== undefined) throw bad;
  }

  /**
   * Takes the next array(s). Their records go into the batch record (the WAL of this input), so a
   * record that is not plain data (API.md) fails the batch with a TypeError naming it, before
   * anything is written, and the array stays at the head of the queue.
   */
  plan(time: Time): QueuePlan<T> {
    if (this.queue.length === 0) return { parts: this.defaultBatch === undefined ? [] : [[...this.defaultBatch]] };
    const n = this.oneAtATime ? 1 : this.queue.length;
    for (let i = 0; i < n; i++) {
      const bad = notPlainRecord(this.queue[i]!, `queueStream: batch ${time} ms, array ${i} of the queue`);
      if (bad !== undefined) throw bad;
    }
    return { parts: this.queue.splice(0, n).map((a) => [...a]) };
  }

  /** After the first catch-up batch, arrays in the queue wait for the batches at or after the restart. */
  override planCatchUp(time: Time, first: boolean): QueuePlan<T> {
    if (first) return this.plan(time);
    return { parts: this.defaultBatch === undefined ? [] : [[...this.defaultBatch]] };
  }

  materialize(_time: Time, plan: QueuePlan<T>): RDD<T> {
    return RDD.fromPartitions(plan.parts);
  }

  recordCount(plan: QueuePlan<T>): number {
    let n = 0;
    for (const p of plan.parts) n += p.length;
    return n;
  }
}
