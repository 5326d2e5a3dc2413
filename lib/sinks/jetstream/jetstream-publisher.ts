import { ErrorCodes, StreamingError } from "../../../errors.js";
import { JetStreamClient } from "../../sources/jetstream/jetstream-client.js";
import type { Time } from "../../time.js";

/** One message of a batch, ready to publish. */
export interface OutgoingMessage {
  subject: string;
  data: Uint8Array;
  headers?: Record<string, string>;
}

/** Publishes in flight at once: enough to keep the connection busy, bounded in memory. */
const IN_FLIGHT = 1024;

/**
 * The `Nats-Msg-Id` of the `index`-th message of batch `time` of sink `sinkId` of job `jobId`:
 * `${jobId}:${sinkId}:${time}:${index}`, so that two jobs publishing under the same sink id never
 * drop each other's messages as duplicates. A job whose checkpoint has no job id (created before
 * job ids existed) keeps the ids it has always published: `${sinkId}:${time}:${index}`.
 */
export function messageId(jobId: string | undefined, sinkId: string, time: Time, index: number): string {
  return jobId === undefined ? `${sinkId}:${time}:${index}` : `${jobId}:${sinkId}:${time}:${index}`;
}

/**
 * Publishes a batch's messages so that a re-run publishes nothing twice: message i of batch t has
 * `Nats-Msg-Id` `${jobId}:${sinkId}:${t}:${i}` (see {@link messageId}), and the stream drops a repeated id within its
 * `duplicate_window`. Before the first publish to a stream, checks that window covers
 * `recoveryWindow` (the longest a crashed job may stay down), and says what to set otherwise.
 * Independent of DStreams, so groups publish with it too.
 */
export class JetStreamBatchPublisher {
  private client: JetStreamClient | undefined;
  /** Per subject, the checked duplicate window of its stream. */
  private readonly windows = new Map<string, number>();
  private maxPayload: number | undefined;

  /**
   * `fixedSubject`: the sink's one subject, when it has one: its stream is checked at the first
   * batch even when that batch is empty (a subject function's streams are checked as they appear).
   */
  constructor(
    private readonly servers: readonly string[],
    private readonly recoveryWindow: number,
    private readonly fixedSubject?: string,
  ) {}

  private get js(): JetStreamClient {
    return (this.client ??= JetStreamClient.open(this.servers));
  }

  /** Publishes `messages` as batch `time` of `sinkId` of job `jobId`; resolves once the stream has acknowledged all. */
  async publish(sinkId: string, time: Time, now: number, messages: readonly OutgoingMessage[], jobId: string | undefined): Promise<{ stored: number; duplicates: number }> {
    try {
      const max = (this.maxPayload ??= await this.js.maxPayload());
      let window = Infinity;
      const subjects = new Set<string>(this.fixedSubject === undefined ? [] : [this.fixedSubject]);
      for (const [i, m] of messages.entries()) {
        if (m.data.length > max) throw new RangeError(`record ${i} is ${m.data.length} bytes; the server's max payload is ${max} bytes`);
        subjects.add(m.subject);
      }
      for (const subject of subjects) window = Math.min(window, await this.windowOf(subject));
      if (now - time > window) {
        console.warn(`dstream saveToJetStream ${sinkId}: batch ${time} runs ${now - time} ms after its time, beyond the duplicate window (${window} ms): if an earlier run of it published before a crash, those messages may now appear twice`);
      }
      let stored = 0;
      let duplicates = 0;
      for (let at = 0; at < messages.length; at += IN_FLIGHT) {
        const acks = messages
          .slice(at, at + IN_FLIGHT)
          .map((m, j) => this.js.publish(m.subject, m.data, { msgId: messageId(jobId, sinkId, time, at + j), ...(m.headers === undefined ? {} : { headers: m.headers }) }));
        for (const ack of await Promise.all(acks)) ack.duplicate ? duplicates++ : stored++;
      }
      return { stored, duplicates };
    } catch (err) {
      if (StreamingError.is(err, ErrorCodes.SINK_FAILED)) throw err;
      throw new StreamingError(ErrorCodes.SINK_FAILED, `saveToJetStream ${sinkId}: batch ${time} ms was not fully published (a re-run publishes it again, deduplicated by message id): ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  private async windowOf(subject: string): Promise<number> {
    const known = this.windows.get(subject);
    if (known !== undefined) return known;
    const stream = await this.js.streamOf(subject);
    if (stream === undefined) {
      throw new StreamingError(ErrorCodes.SINK_FAILED, `saveToJetStream: no JetStream stream stores subject "${subject}"; create one whose subjects include it, with duplicate_window of at least ${this.recoveryWindow} ms`);
    }
    const { duplicateWindowMs } = await this.js.streamState(stream);
    if (duplicateWindowMs < this.recoveryWindow) {
      throw new StreamingError(
        ErrorCodes.SINK_FAILED,
        `saveToJetStream: stream "${stream}" (subject "${subject}") deduplicates message ids for ${duplicateWindowMs} ms, shorter than the recoveryWindow of ${this.recoveryWindow} ms: a batch re-run after a longer outage would publish twice. ` +
          `Set the stream's duplicate_window to at least ${this.recoveryWindow} ms (jsm.streams.update("${stream}", { duplicate_window: nanos(${this.recoveryWindow}) }), or nats stream edit ${stream} --dupe-window ${Math.ceil(this.recoveryWindow / 1000)}s), or lower recoveryWindow`,
      );
    }
    this.windows.set(subject, duplicateWindowMs);
    return duplicateWindowMs;
  }

  /** Releases the connection. Idempotent. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.release();
  }
}
