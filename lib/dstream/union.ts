import { ErrorCodes, GraphError } from "../../errors.js";
import { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream } from "./internal.js";
import { checkSameSlide } from "./transformed.js";

/** The records of several streams, batch by batch. A parent with no RDD for a time is an error. */
export class UnionDStream<T> extends DStream<T> {
  constructor(readonly parents: readonly DStream<T>[]) {
    const first = parents[0];
    if (first === undefined) throw new TypeError("union expects at least one stream");
    // Checked before registering with the graph, so a rejected stream leaves no operator behind.
    checkSameSlide(parents, "union");
    super(first.ssc);
  }

  get slideDuration(): Duration {
    return (this.parents[0] as DStream<T>).slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  compute(time: Time): RDD<T> | undefined {
    const rdds = this.parents.map((p) => {
      const rdd = p.getOrCompute(time);
      if (rdd === undefined) {
        throw new GraphError(ErrorCodes.GRAPH_MISSING_RDD, `union at ${time} ms: ${p.kind} ${p.operatorId} has no RDD for that time`);
      }
      return rdd;
    });
    return RDD.union(rdds);
  }
}
