/**
 * A JetStream partition's input for one batch as data (Spark's OffsetRange), and the two steps
 * around it: `planRange` decides a range from a position and reads it (through the partition's
 * long-lived reader, `PartitionReaders`), `readRange` reads a recorded range again (a re-run
 * batch) and checks it is still whole. Both are per partition, so a group member (DESIGN.md §10)
 * plans and reads only the partitions it holds with the same code.
 */
import { ErrorCodes, StreamingError } from "../../../errors.js";
import type { JetStreamClient, RawMessage, StreamState, SubjectReader } from "./jetstream-client.js";

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
 * subject the stream held after the position when the read began (its lag, for free). With
 * `readers` (planning), the partition's long-lived reader reads; without, a consumer made for the
 * read. A stream that no longer holds sequences right after
 * the position (retention, purge) fails with SOURCE_OFFSET_LOST: they may have been this
 * partition's.
 */
export async function planRange(client: JetStreamClient, stream: string, subject: string, partition: number, position: number, state: StreamState, limit: number, readers?: PartitionReaders): Promise<{ range: PartitionRange; messages: RawMessage[]; pending: number }> {
  if (state.lastSeq < position) {
    throw lost(stream, subject, partition, `its position is sequence ${position}, but the stream's last sequence is ${state.lastSeq} (was the stream deleted or purged and created again?)`);
  }
  if (state.firstSeq > position + 1) {
    throw lost(stream, subject, partition, `messages after sequence ${position} up to ${state.firstSeq - 1} are no longer in the stream (its first sequence is now ${state.firstSeq}): retention removed them before a batch read them`);
  }
  const { messages, pending } = readers === undefined ? await client.readRange(stream, partitionSubject(subject, partition), position, state.lastSeq, limit) : await readers.read(stream, subject, partition, position, state.lastSeq, limit);
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

/** Messages pulled per request by a partition reader. */
const PULL_CHUNK = 10_000;

interface Reader {
  subject: string;
  reader: SubjectReader;
  /** The last sequence planned from this reader: the next plan of the partition must start here to use it. */
  position: number;
  /** Messages pulled but not yet planned (sequences above `position`), in order. */
  buffer: RawMessage[];
  /** Date.now() of the last pull, to open a new reader before the server drops an idle one. */
  used: number;
}

/**
 * An input's long-lived partition readers (one {@link SubjectReader} per partition) and what
 * they pulled beyond the last plan. A plan from the position the reader stopped at takes the
 * buffered messages, then pulls what the stream holds now; a plan from any other position (a
 * recovery, a re-planned batch, a group member taking the partition over) opens a new reader
 * there. Messages stored after the batch's stream state was read stay buffered for the next
 * batch. On nats-server 2.9.10 this spares the stream scan that making a filtered consumer costs
 * (per partition and batch with {@link JetStreamClient.readRange}).
 */
export class PartitionReaders {
  private readonly readers = new Map<number, Reader>();
  /** Per partition, the read in progress: reads of one partition run one after the other. */
  private readonly busy = new Map<number, Promise<unknown>>();

  /**
   * `idleMs`: how long the server keeps an unused reader (the batch interval must fit in it
   * with room: a reader unused for half of it is replaced rather than pulled from).
   */
  constructor(
    private readonly client: () => JetStreamClient,
    private readonly idleMs: number,
  ) {}

  /**
   * Partition `partition`'s messages after `position` up to `lastSeq`, at most `limit` of them,
   * and `pending`: how many messages on its subject follow `position` as far as the reader knows
   * (beyond `lastSeq` too), for lag reports. The same contract as {@link JetStreamClient.readRange}.
   */
  read(stream: string, subject: string, partition: number, position: number, lastSeq: number, limit: number): Promise<{ messages: RawMessage[]; pending: number }> {
    const run = (this.busy.get(partition) ?? Promise.resolve()).catch(() => undefined).then(() => this.readNow(stream, subject, partition, position, lastSeq, limit));
    this.busy.set(partition, run);
    return run;
  }

  private async readNow(stream: string, subject: string, partition: number, position: number, lastSeq: number, limit: number): Promise<{ messages: RawMessage[]; pending: number }> {
    if (lastSeq <= position || limit <= 0) return { messages: [], pending: 0 };
    const topic = partitionSubject(subject, partition);
    // A reader that lost its place is replaced once: the new one starts from `position`.
    for (let attempt = 0; ; attempt++) {
      let r = this.readers.get(partition);
      if (r !== undefined && (r.position !== position || r.subject !== topic || r.reader.stream !== stream || Date.now() - r.used > this.idleMs / 2)) {
        await this.release(partition);
        r = undefined;
      }
      if (r === undefined) {
        r = { subject: topic, reader: await this.client().openReader(stream, topic, position, this.idleMs), position, buffer: [], used: Date.now() };
        this.readers.set(partition, r);
      }
      const messages = await this.take(r, lastSeq, limit).catch(async (err: unknown) => {
        await this.release(partition);
        throw err;
      });
      if (messages === undefined) {
        await this.release(partition);
        if (attempt === 0) continue;
        throw new StreamingError(ErrorCodes.SOURCE_UNAVAILABLE, `jetStream ${stream} partition ${partition} (${topic}): a new reader from sequence ${position} lost its place too (deliveries missing or no answer from the server); check the NATS server and the connection`);
      }
      const to = messages.length >= limit ? (messages[messages.length - 1] as RawMessage).seq : lastSeq;
      r.position = to;
      return { messages, pending: messages.length + r.buffer.length + r.reader.pending };
    }
  }

  /** Takes from `r`'s buffer, then pulls, until `limit` messages or every one up to `lastSeq`; undefined when the reader broke. */
  private async take(r: Reader, lastSeq: number, limit: number): Promise<RawMessage[] | undefined> {
    const out: RawMessage[] = [];
    // True once the server, answering after lastSeq was read, said it held no more: all up to lastSeq came.
    let drained = false;
    for (;;) {
      let i = 0;
      while (out.length < limit && i < r.buffer.length && (r.buffer[i] as RawMessage).seq <= lastSeq) out.push(r.buffer[i++] as RawMessage);
      r.buffer.splice(0, i);
      // Done at the limit, or when a message past lastSeq is buffered: the ones before it are all read.
      if (out.length >= limit || r.buffer.length > 0 || drained) return out;
      const pulled = await r.reader.pull(Math.min(limit - out.length, PULL_CHUNK));
      r.used = Date.now();
      if (pulled === undefined) return undefined;
      r.buffer.push(...pulled.messages);
      drained = !pulled.more;
    }
  }

  /**
   * Gives a planned range's tail back (a plan cut it to `to`, the last message it keeps): the
   * messages come first in the partition's next plan from `to`.
   */
  unread(partition: number, messages: readonly RawMessage[], to: number): void {
    const r = this.readers.get(partition);
    if (r === undefined || messages.length === 0) return;
    r.buffer.unshift(...messages);
    r.position = to;
  }

  /** Closes partition `partition`'s reader (a group member no longer holds the partition). */
  async release(partition: number): Promise<void> {
    const r = this.readers.get(partition);
    this.readers.delete(partition);
    await r?.reader.close();
  }

  /** Closes every reader. */
  async close(): Promise<void> {
    await Promise.all([...this.readers.keys()].map((p) => this.release(p)));
  }
}

function lost(stream: string, subject: string, partition: number, why: string): StreamingError {
  return new StreamingError(ErrorCodes.SOURCE_OFFSET_LOST, `jetStream ${stream} partition ${partition} (${partitionSubject(subject, partition)}): ${why}. Raise the stream's retention (max_age, max_msgs, max_bytes) above the job's longest lag or downtime`);
}
