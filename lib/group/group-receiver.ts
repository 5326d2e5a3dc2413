/**
 * Receivers in a group (DESIGN.md §10): JetStream is the write-ahead log. Every member runs the
 * job's receivers; each block a receiver stores is published to one of
 * the group's P partition subjects `dstream.group.<name>.recv.<streamId>.<p>` of the stream
 * `DSTREAM_GROUP_<name>_RECV` (round-robin per block), and the receiver's `storeMany` resolves
 * (so a reliable receiver acknowledges its source) only once JetStream acknowledged every record.
 * A message holds an array of records (storage/codec.ts): a record with a source identity alone,
 * the others of a block together (split to fit the server's max payload).
 * The group then reads those subjects as it reads any `jetStream` input: the member holding
 * partition p plans, runs and commits p's records, whichever member received them. A member that
 * dies strands nothing: what it published is in the stream, what it had not is unacknowledged at
 * the source, which gives it to another member.
 *
 * Messages carry `Nats-Msg-Id`: a record's source identity when the receiver knows one (an AMQP
 * message-id), so that a message the broker redelivers to another member after the first died
 * between JetStream's acknowledgement and the broker's is dropped by the stream's duplicate window
 * ({@link RECEIVER_DUPLICATE_WINDOW_MS}); otherwise an id of this process's block and the message's
 * place in it, so that a publish retried after a failure stores each message once.
 */
import { randomBytes } from "node:crypto";
import { encodeValue, decodeValue } from "../../storage/codec.js";
import { ErrorCodes, StorageError } from "../../errors.js";
import type { DStream } from "../dstream/internal.js";
import type { RDD } from "../rdd/rdd.js";
import { requireReceiver } from "../receiver/receiver-input-dstream.js";
import type { Receiver } from "../receiver/receiver.js";
import { ReceiverSupervisor, supervisorDeps, type BlockSink } from "../receiver/supervisor.js";
import { JetStreamClient, type RawMessage } from "../sources/jetstream/jetstream-client.js";
import { JetStreamInputDStream, type JetStreamPlan } from "../sources/jetstream/jetstream-input-dstream.js";
import type { ResolvedJetStreamOptions } from "../sources/jetstream/jetstream-options.js";
import { partitionSubject } from "../sources/jetstream/partition-range.js";
import type { Time } from "../time.js";
import type { ResolvedGroupOptions } from "./group-options.js";

/**
 * The receiver stream's duplicate window: a redelivered message is dropped if its first copy was
 * published less than this long before. RabbitMQ gives a dead member's unacknowledged messages to
 * another consumer as soon as it sees the connection close: at once when the process dies (its
 * socket closes), after the AMQP heartbeat timeout (60 s by RabbitMQ's default) when the machine
 * dies or the process is paused. Two minutes covers both; the server keeps each id that long.
 */
export const RECEIVER_DUPLICATE_WINDOW_MS = 120_000;

/**
 * The backstop of the receiver stream's retention (`max_age`): after each snapshot, members
 * remove what every partition has read (GroupRuntime.purgeReceived, below the lowest recorded
 * position, so the stream's first sequence never passes a partition's position: per-subject
 * purges did, and a partition's plan failed with SOURCE_OFFSET_LOST). A partition nobody runs for
 * longer than this loses its records (its next plan fails with SOURCE_OFFSET_LOST).
 */
export const RECEIVER_RETENTION_MS = 24 * 3600_000;

/** Partitions of a group with receivers and no jetStream input, when `group.partitions` is not set. */
export const DEFAULT_RECEIVER_PARTITIONS = 4;

/** The stream a group's receivers write to. */
export function receiverStreamName(group: string): string {
  return `DSTREAM_GROUP_${group}_RECV`;
}

/** A stored-block failure of `store()` is retried this many times (backoff to 5 s: about a minute) before its records are reported lost. */
const STORE_RETRIES = 15;

/**
 * `ssc.receiverStream(receiver)` in a group: a `jetStream` input over the group's receiver stream,
 * fed by `receiver` in every member. A JetStreamInputDStream, so the group runtime divides,
 * plans, reads and commits its partitions like any other; its records are the receiver's (not
 * JetStreamMessage), decoded from the stored format (storage/codec.ts).
 */
export class GroupReceiverInputDStream<T> extends JetStreamInputDStream<Uint8Array, T> {
  readonly receiver: Receiver<T>;
  private readonly supervisor: ReceiverSupervisor;
  private readonly sink: JetStreamBlockSink;
  /** Fixed when the receiver starts: blocks are spread over this many partitions from then on. */
  private partitionCount: number | undefined;
  /** Records per materialized plan (a message may hold many). */
  private readonly counts = new WeakMap<JetStreamPlan, number>();

  constructor(
    ssc: DStream<T>["ssc"],
    receiver: Receiver<T>,
    private readonly group: ResolvedGroupOptions,
  ) {
    requireReceiver(receiver);
    // The subject and partition count depend on the stream id and the other inputs: see `options`.
    super(ssc, { servers: group.servers, stream: receiverStreamName(group.name), subject: `dstream.group.${group.name}.recv`, partitions: 1, codec: "bytes", startAt: "earliest" });
    this.receiver = receiver;
    this.sink = new JetStreamBlockSink(group.servers, () => this.target(), (message, err) => this.supervisor.reportError(message, err));
    this.supervisor = new ReceiverSupervisor(receiver as Receiver<unknown>, this.streamId, this.sink, supervisorDeps(ssc));
    receiver.attach(this.supervisor);
  }

  /**
   * Subject `dstream.group.<name>.recv.<streamId>`; partitions: `group.partitions`, else those of
   * the job's jetStream inputs (partition p of every input goes to the same member), else 4.
   */
  override get options(): ResolvedJetStreamOptions {
    return { ...super.options, subject: `dstream.group.${this.group.name}.recv.${this.streamId}`, partitions: this.partitions() };
  }

  private partitions(): number {
    if (this.partitionCount !== undefined) return this.partitionCount;
    if (this.group.partitions !== undefined) return this.group.partitions;
    const direct = this.ssc.graph.inputStreams.find((i): i is JetStreamInputDStream<unknown> => i instanceof JetStreamInputDStream && !(i instanceof GroupReceiverInputDStream));
    return direct?.options.partitions ?? DEFAULT_RECEIVER_PARTITIONS;
  }

  private target(): { subject: string; partitions: number } {
    const { subject, partitions } = this.options;
    return { subject, partitions };
  }

  /** Records stored and not yet published (a block being published counts). */
  get pendingRecords(): number {
    return this.supervisor.buffered + this.sink.publishing;
  }

  /** Creates the group's receiver stream (every member does; the same configuration), then starts the receiver. */
  override async startInput(): Promise<void> {
    this.partitionCount = this.partitions();
    await this.sink.open(receiverStreamName(this.group.name), `dstream.group.${this.group.name}.recv.>`);
    await this.supervisor.start();
  }

  /**
   * Stops the receiver (a graceful stop publishes what it buffered: the group, this member or
   * another, processes it later), waits for the blocks being published, then closes.
   */
  override async stopInput(graceful = false): Promise<void> {
    await this.supervisor.stop("Stopped by StreamingContext", undefined, true, graceful);
    await this.sink.close();
    await super.stopInput();
  }

  override hasPendingInput(): boolean {
    return this.pendingRecords > 0;
  }

  override async materialize(time: Time, plan: JetStreamPlan): Promise<RDD<T>> {
    const rdd = await super.materialize(time, plan);
    this.counts.set(plan, rdd.count());
    return rdd;
  }

  /** The batch's records (a message holds one record or a block of them), counted when it was materialized. */
  override recordCount(plan: JetStreamPlan): number {
    return this.counts.get(plan) ?? super.recordCount(plan);
  }

  /** Each message is an array of records (storage/codec.ts): one record with a source identity, or a block's. */
  protected override decode(msgs: readonly RawMessage[], _partition: number): T[] {
    const out: T[] = [];
    for (const m of msgs) {
      const where = `${m.subject}#${m.seq}`;
      const records = decodeValue(where, m.data);
      if (!Array.isArray(records)) throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `group receiver stream ${this.options.stream}: message ${where} holds no block of records; was it published by something other than a dstream receiver?`);
      for (const r of records) out.push(r as T);
    }
    return out;
  }
}

/**
 * A receiver's blocks, published to the group's receiver stream. `store()`'s blocks (nobody
 * awaits them) are retried with backoff; a `storeMany` block fails its caller, who has not
 * acknowledged its source and gets it again.
 */
class JetStreamBlockSink implements BlockSink {
  lastOffset: unknown;
  /** Records in blocks being published. */
  publishing = 0;
  private client: JetStreamClient | undefined;
  /** This process's blocks: ids of records without a source identity. */
  private readonly instance = randomBytes(6).toString("base64url");
  private blocks = 0;
  /** The next block's partition; members start at random places so that few blocks still spread. */
  private next = randomBytes(2).readUInt16BE(0);
  private readonly inflight = new Set<Promise<void>>();
  private closing = false;
  /** The largest message payload this sink publishes. */
  private maxBytes = 512 * 1024;

  constructor(
    private readonly servers: readonly string[],
    private readonly target: () => { subject: string; partitions: number },
    private readonly reportError: (message: string, err: unknown) => void,
  ) {}

  async open(stream: string, subjects: string): Promise<void> {
    this.closing = false;
    this.client ??= JetStreamClient.open(this.servers);
    // Room for the headers (Nats-Msg-Id) below the server's limit.
    this.maxBytes = Math.max(1024, (await this.client.maxPayload()) - 4096);
    await this.client.ensureStream({ name: stream, subjects: [subjects], duplicateWindowMs: RECEIVER_DUPLICATE_WINDOW_MS, maxAgeMs: RECEIVER_RETENTION_MS, storage: "file" });
  }

  add(records: unknown[], options: { offset?: unknown; hasOffset: boolean; sync: boolean; ids?: readonly (string | undefined)[] }): Promise<void> {
    const block = this.blocks++;
    const { subject, partitions } = this.target();
    const to = partitionSubject(subject, this.next++ % partitions);
    let messages: { data: Uint8Array; msgId: string }[];
    try {
      messages = this.messages(records, options.ids, block);
    } catch (err) {
      return Promise.reject(err);
    }
    this.publishing += records.length;
    const done = (options.sync ? this.publish(to, messages) : this.publishRetrying(to, messages)).finally(() => {
      this.publishing -= records.length;
    });
    const tracked = done.then(
      () => {
        if (options.hasOffset) this.lastOffset = options.offset;
      },
      () => undefined,
    );
    this.inflight.add(tracked);
    void tracked.then(() => this.inflight.delete(tracked));
    return done;
  }

  /**
   * A block as messages, each an array of records: a record with a source identity alone (its
   * identity is the message's id: a redelivered copy is dropped), the others together, in as few
   * messages as the server's max payload allows (ids of this block: a retry stores each once).
   * Records were checked to be plain data when stored.
   */
  private messages(records: readonly unknown[], ids: readonly (string | undefined)[] | undefined, block: number): { data: Uint8Array; msgId: string }[] {
    const out: { data: Uint8Array; msgId: string }[] = [];
    let run: unknown[] = [];
    const flush = (): void => {
      for (const data of this.encodeBlock(run)) out.push({ data, msgId: `${this.instance}.${block}.${out.length}` });
      run = [];
    };
    for (let i = 0; i < records.length; i++) {
      const id = ids?.[i];
      if (id === undefined) {
        run.push(records[i]);
        continue;
      }
      flush();
      const data = encodeValue([records[i]]);
      if (data.length > this.maxBytes) throw tooLarge(data.length, this.maxBytes);
      out.push({ data, msgId: id });
    }
    flush();
    return out;
  }

  /** `records` encoded as one array, or halved until each part fits the server's max payload. */
  private encodeBlock(records: unknown[]): Uint8Array[] {
    if (records.length === 0) return [];
    const data = encodeValue(records);
    if (data.length <= this.maxBytes) return [data];
    if (records.length === 1) throw tooLarge(data.length, this.maxBytes);
    const half = Math.ceil(records.length / 2);
    return [...this.encodeBlock(records.slice(0, half)), ...this.encodeBlock(records.slice(half))];
  }

  private async publish(subject: string, messages: readonly { data: Uint8Array; msgId: string }[]): Promise<void> {
    const client = this.client;
    if (client === undefined) throw new TypeError("group receiver: a block was stored before the receiver stream was opened");
    await client.publishMany(subject, messages);
  }

  /** `store()`'s block: retried (the same ids: each record stored once) until published or given up. */
  private async publishRetrying(subject: string, messages: readonly { data: Uint8Array; msgId: string }[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.publish(subject, messages);
      } catch (err) {
        // Stopping: a few attempts, not a minute of them.
        if (attempt > (this.closing ? 3 : STORE_RETRIES) || this.client === undefined) {
          this.reportError(`${messages.length} records stored with store() could not be published to ${subject} after ${attempt} attempts and are lost; is NATS reachable?`, err);
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  }

  /** Waits for the blocks being published, then releases the connection. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    const client = this.client;
    this.client = undefined;
    await client?.release();
  }
}

function tooLarge(bytes: number, max: number): RangeError {
  return new RangeError(`group receiver: a record of ${bytes} bytes (encoded) exceeds the ${max} bytes a message of the NATS server may hold (its max_payload, less room for headers); store smaller records or raise max_payload`);
}
