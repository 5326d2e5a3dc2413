import { ErrorCodes, GraphError, StreamingError } from "../../errors.js";
import { ForEachDStream, writePerGroupPartition, type DStream } from "../dstream/internal.js";
import type { RDD } from "../rdd/rdd.js";
import type { Time } from "../time.js";

/**
 * What a built-in exactly-once sink does per batch; `sinkId` names the sink in its ledger or
 * message ids, `jobId` the job (`ssc.jobId`; undefined for a checkpoint created before job ids
 * existed), so that two jobs writing under the same sink id do not take each other's batches for
 * their own.
 */
export type SinkWrite<T> = (rdd: RDD<T>, time: Time, sinkId: string, jobId: string | undefined) => Promise<void>;

/**
 * Registers a built-in sink as an output operation and names its sink id after the operator id:
 * `options.name` if given, else `${parent's name}.${kind}` when the parent stream has a `.name()`,
 * else the output operation's creation-order id. The id is what the sink's ledger rows and message
 * ids carry, so it must stay the same across restarts (name the stream to keep it stable when
 * other operators are added before it).
 */
export function registerSink<T>(stream: DStream<T>, kind: string, description: string, name: string | undefined, write: SinkWrite<T>): ForEachDStream<T> {
  if (name !== undefined && (typeof name !== "string" || name.length === 0)) throw new TypeError(`${kind}: name must be a non-empty string; got ${String(name)}`);
  const out: ForEachDStream<T> = new ForEachDStream(stream, (rdd, time) => writeBatch(stream, write, rdd, time, out.operatorId), kind, description);
  const uid = name ?? (stream.operatorId !== String(stream.id) ? `${stream.operatorId}.${kind}` : undefined);
  if (uid !== undefined) {
    try {
      out.name(uid);
    } catch (err) {
      if (!StreamingError.is(err, ErrorCodes.GRAPH_INVALID)) throw err;
      throw new GraphError(ErrorCodes.GRAPH_INVALID, `${kind}: the sink id "${uid}" is taken (a second ${kind} of the same stream?); give this one its own id with the option name: "…"`, { cause: err });
    }
  }
  return out;
}

/**
 * Writes one batch. In a group (DESIGN.md §10) each partition of the batch is written on its own,
 * under the sink id `${sinkId}/p${p}`: the partition's output is deterministic, so the member
 * that re-runs it after a failover writes the same rows under the same id, and the sink's ledger
 * (or message ids) drops the second copy. Every member writes under the group's job id.
 */
function writeBatch<T>(stream: DStream<T>, write: SinkWrite<T>, rdd: RDD<T>, time: Time, sinkId: string): Promise<void> {
  const jobId = stream.ssc.jobId;
  return writePerGroupPartition(stream.ssc, rdd, (part, p) => write(part, time, p === undefined ? sinkId : `${sinkId}/p${p}`, jobId));
}

/** Runs `close` once the context stops (sinks keep connections open between batches). */
export function onContextStop(stream: DStream<unknown>, close: () => Promise<void>): void {
  const done = (): void => void close().catch(() => undefined);
  stream.ssc.awaitTermination().then(done, done);
}
