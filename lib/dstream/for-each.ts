import type { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream, type ForeachFunction } from "./internal.js";

/** One output operation's work for one batch. */
export interface Job {
  readonly time: Time;
  /** Position of the output operation in registration order. */
  readonly outputOpId: number;
  readonly name: string;
  readonly description: string;
  run(): Promise<void>;
}

/**
 * An output operation: runs a function on the parent's RDD of every batch. Registered with the
 * graph on construction, in order.
 */
export class ForEachDStream<T> extends DStream<void> {
  readonly outputOpId: number;

  constructor(
    readonly parent: DStream<T>,
    private readonly fn: ForeachFunction<T>,
    readonly opName: string,
    readonly description: string = opName,
  ) {
    super(parent.ssc);
    this.outputOpId = parent.ssc.graph.addOutputStream(this as ForEachDStream<unknown>);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  compute(): RDD<void> | undefined {
    return undefined;
  }

  /** The job of batch `time`, or undefined when the parent has no RDD for it. */
  generateJob(time: Time): Job | undefined {
    const rdd = this.parent.getOrCompute(time);
    if (rdd === undefined) return undefined;
    const fn = this.fn;
    return {
      time,
      outputOpId: this.outputOpId,
      name: this.opName,
      description: this.description,
      run: async () => {
        await fn(rdd, time);
      },
    };
  }
}
