/**
 * A JetStream partition's input for one batch as data (Spark's OffsetRange), and the two pure
 * steps around it: `planRange` decides a range from a position and reads it, `readRange` reads a
 * recorded range again (a re-run batch) and checks it is still whole. Both are per partition, so a
 * group member (DESIGN.md §10) plans and reads only the partitions it holds with the same code.
 */
import { ErrorCodes, StreamingError } from "../../../errors.js";
import type { JetStreamClient, RawMessage, StreamState } from "./jetstream-client.js";

/**
 * Partition `partition` (subject `${subject}.${partition}`) of one batch: its messages with
 * `from < seq <= to`, `count` of them when planned. `to` is the stream's last sequence when the
 * range reached the end of what was stored, so positions move on with the stream.
 */
export interface PartitionRange {
  partition: number;
  from: number;
  to: number;
  count: number;
}

/** The subject of partition `p`. */
export function partitionSubject(subject: string, p: number): string {
  return `${subject}.${p}`;
}

/**
 * Plans partition `partition` from `position` (the last sequence already assigned to a batch):
 * reads what the stream holds after it, up to `state.lastSeq`, at most `limit` messages, and
 * returns the range with the messages read and `pending`, how many messages on the partition's
 * subject the stream held after the position when the read began (its lag, for free). A stream that no longer holds sequences right after
 * the position (retention, purge) fails with SOURCE_OFFSET_LOST: they may have been this
 * partition's.
 */
export async function planRange(client: JetStreamClient, stream: string, subject: string, partition: number, position: number, state: StreamState, limit: number): Promise<{ range: PartitionRange; messages: RawMessage[]; pending: number }> {
  if (state.lastSeq < position) {
    throw lost(stream, subject, partition, `its position is sequence ${position}, but the stream's last sequence is ${state.lastSeq} (was the stream deleted or purged and created again?)`);
  }
  if (state.firstSeq > position + 1) {
    throw lost(stream, subject, partition, `messages after sequence ${position} up to ${state.firstSeq - 1} are no longer in the stream (its first sequence is now ${state.firstSeq}): retention removed them before a batch read them`);
  }
  const { messages, pending } = await client.readRange(stream, partitionSubject(subject, partition), position, state.lastSeq, limit);
  const to = messages.length >= limit ? (messages[messages.length - 1] as RawMessage).seq : state.lastSeq;
  return { range: { partition, from: position, to, count: messages.length }, messages, pending };
}

/** Reads a planned range again: exactly its `count` messages, or SOURCE_OFFSET_LOST naming what is gone. */
export async function readRange(client: JetStreamClient, stream: string, subject: string, range: PartitionRange): Promise<RawMessage[]> {
  if (range.count === 0) return [];
  const { messages } = await client.readRange(stream, partitionSubject(subject, range.partition), range.from, range.to, range.count);
  if (messages.length !== range.count) {
    throw lost(stream, subject, range.partition, `the batch read ${range.count} messages with sequences ${range.from + 1}..${range.to}, and the stream now holds ${messages.length} of them (removed by retention or deleted)`);
  }
  return messages;
}

function lost(stream: string, subject: string, partition: number, why: string): StreamingError {
  return new StreamingError(ErrorCodes.SOURCE_OFFSET_LOST, `jetStream ${stream} partition ${partition} (${partitionSubject(subject, partition)}): ${why}. Raise the stream's retention (max_age, max_msgs, max_bytes) above the job's longest lag or downtime`);
}
