import type { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream } from "../dstream/internal.js";

/**
 * A test stream that passes its parent's RDDs through except at the given times, where it has no
 * RDD at all (Spark's TestInputStream with a `null` batch). An empty RDD is not a gap.
 */
export class GapDStream<T> extends DStream<T> {
  constructor(
    readonly parent: DStream<T>,
    private readonly gaps: ReadonlySet<Time>,
  ) {
    super(parent.ssc);
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  compute(time: Time): RDD<T> | undefined {
    return this.gaps.has(time) ? undefined : this.parent.getOrCompute(time);
  }
}
