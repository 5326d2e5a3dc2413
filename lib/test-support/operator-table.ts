import { ManualClock } from "../clock.js";
import type { DStream } from "../dstream/internal.js";
import { StreamingContext, type StreamingContextOptions } from "../streaming-context.js";

/** Options of an operator-table run. */
export interface TableOptions {
  batchDuration?: number;
  /** Number of batches to run; default: the number of input batches. */
  numBatches?: number;
  /** Checkpoint directory, for stateful operators. */
  checkpointDir?: string;
  context?: Partial<StreamingContextOptions>;
}

/**
 * Runs `operation` over `input` (one array per batch) on a ManualClock and returns what it emitted,
 * one array per emission, as Spark's TestSuiteBase.testOperation collects it.
 */
export async function runOperation<T, U>(input: T[][], operation: (s: DStream<T>) => DStream<U>, options: TableOptions = {}): Promise<U[][]> {
  return (await runOperationWithTimes(input, operation, options)).map(([, out]) => out);
}

/** Like runOperation, with the batch time of each emission. */
export async function runOperationWithTimes<T, U>(input: T[][], operation: (s: DStream<T>) => DStream<U>, options: TableOptions = {}): Promise<[number, U[]][]> {
  const batchDuration = options.batchDuration ?? 1000;
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration, clock, ...options.context, ...(options.checkpointDir === undefined ? {} : { checkpointDir: options.checkpointDir }) });
  const out: [number, U[]][] = [];
  const stream = ssc.queueStream(input.map((b) => [...b]));
  operation(stream).foreachRDD((rdd, time) => void out.push([time, rdd.collect()]));
  await ssc.start();
  try {
    await clock.advance(batchDuration * (options.numBatches ?? input.length));
  } finally {
    await ssc.stop();
  }
  return out;
}

/** Runs a two-input operation, as Spark's testOperation with two input streams. */
export async function runBinaryOperation<A, B, U>(a: A[][], b: B[][], operation: (x: DStream<A>, y: DStream<B>) => DStream<U>, options: TableOptions = {}): Promise<U[][]> {
  const batchDuration = options.batchDuration ?? 1000;
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration, clock, ...options.context });
  const out: U[][] = [];
  operation(ssc.queueStream(a.map((x) => [...x])), ssc.queueStream(b.map((x) => [...x]))).foreachRDD((rdd) => void out.push(rdd.collect()));
  await ssc.start();
  try {
    await clock.advance(batchDuration * (options.numBatches ?? Math.max(a.length, b.length)));
  } finally {
    await ssc.stop();
  }
  return out;
}
