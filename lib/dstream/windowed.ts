import { ErrorCodes, GraphError } from "../../errors.js";
import { RDD } from "../rdd/rdd.js";
import { requirePositiveDuration, type Duration, type Time } from "../time.js";
import { DStream } from "./internal.js";

/**
 * Checks a window over `parent`: both durations positive multiples of the parent's slide. Shared by
 * every windowed operator.
 */
export function checkWindow(parent: DStream<unknown>, windowDuration: Duration, slideDuration: Duration): void {
  requirePositiveDuration(windowDuration, "windowDuration");
  requirePositiveDuration(slideDuration, "slideDuration");
  const unit = parent.slideDuration;
  if (windowDuration % unit !== 0) {
    throw new GraphError(ErrorCodes.GRAPH_INVALID, `The window duration (${windowDuration} ms) must be a multiple of the slide duration of the parent stream (${unit} ms)`);
  }
  if (slideDuration % unit !== 0) {
    throw new GraphError(ErrorCodes.GRAPH_INVALID, `The slide duration (${slideDuration} ms) of a window must be a multiple of the slide duration of the parent stream (${unit} ms)`);
  }
}

/** The parent's RDDs with times in (t − window, t], at every slide (Spark's WindowedDStream). */
export class WindowedDStream<T> extends DStream<T> {
  constructor(
    readonly parent: DStream<T>,
    readonly windowDuration: Duration,
    private readonly slide: Duration,
  ) {
    checkWindow(parent, windowDuration, slide);
    super(parent.ssc);
    // Each parent RDD takes part in several windows: compute it once.
    parent.markCached();
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  protected override get parentRememberDuration(): Duration | undefined {
    const own = this.rememberDuration;
    return own === undefined ? undefined : own + this.windowDuration;
  }

  compute(time: Time): RDD<T> {
    const from = time - this.windowDuration + this.parent.slideDuration;
    return RDD.union(this.parent.slice(from, time));
  }
}
