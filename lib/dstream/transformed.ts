import { ErrorCodes, GraphError } from "../../errors.js";
import type { RDD } from "../rdd/rdd.js";
import type { Duration, Time } from "../time.js";
import { DStream } from "./internal.js";

/**
 * Applies a function to the RDDs of one or more streams at each time. Every parent must have an
 * RDD for the time (an empty one is fine): a missing one is an error, as in Spark.
 */
export class TransformedDStream<U> extends DStream<U> {
  constructor(
    readonly parents: readonly DStream<unknown>[],
    private readonly fn: (rdds: RDD<unknown>[], time: Time) => RDD<U>,
    /** The operation's name in messages. */
    private readonly what = "transform",
  ) {
    const first = parents[0];
    if (first === undefined) throw new TypeError(`${what} expects at least one stream`);
    // Checked before registering with the graph, so a rejected stream leaves no operator behind.
    checkSameSlide(parents, what);
    super(first.ssc);
  }

  get slideDuration(): Duration {
    return (this.parents[0] as DStream<unknown>).slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  compute(time: Time): RDD<U> | undefined {
    const rdds = this.parents.map((p) => {
      const rdd = p.getOrCompute(time);
      if (rdd === undefined) {
        throw new GraphError(ErrorCodes.GRAPH_MISSING_RDD, `${this.what} at ${time} ms: ${p.kind} ${p.operatorId} has no RDD for that time`);
      }
      return rdd;
    });
    const out = this.fn(rdds, time);
    if (out === null || typeof out !== "object" || typeof (out as RDD<U>).collect !== "function") {
      throw new TypeError(`the transform function must return an RDD (use ssc.parallelize or rdd operations); at ${time} ms it returned ${String(out)}`);
    }
    return out;
  }
}

/** Checks that the streams share a context and a slide duration; `what` names the operation. */
export function checkSameSlide(streams: readonly DStream<unknown>[], what: string): void {
  const first = streams[0];
  if (first === undefined) return;
  for (const s of streams) {
    if (s.ssc !== first.ssc) throw new GraphError(ErrorCodes.GRAPH_INVALID, `${what}: all streams must belong to the same StreamingContext`);
    if (s.slideDuration !== first.slideDuration) {
      throw new GraphError(ErrorCodes.GRAPH_INVALID, `${what}: all streams must have the same slide duration; got ${first.slideDuration} ms and ${s.slideDuration} ms`);
    }
  }
}
