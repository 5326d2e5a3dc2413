/**
 * Values too large for one JetStream message, shared by the partition log and the shuffle
 * exchange (DESIGN.md §10): the value is encoded once (storage/codec.ts), cut into chunks that are
 * published first on a chunk subject with deterministic Msg-Ids, and the message that names the
 * chunks' stream sequences is published last. That message is the atomic point: a writer that dies
 * before it leaves orphan chunks that no reader looks at (retention removes them).
 */
import { ErrorCodes, StorageError } from "../../errors.js";
import type { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { decodeValue, encodeValue } from "../../storage/codec.js";

/** Header marking a message whose payload names chunks (its value is `{ chunks, size }`). */
export const CHUNKED_HEADER = "Dstream-Chunked";

/**
 * Room left under the server's max payload for headers and the publish envelope, so that a
 * value of exactly the limit still fits.
 */
const HEADROOM = 8 * 1024;

/** The largest value payload sent in one message: the server's max payload minus headroom. */
export async function messageLimit(client: JetStreamClient, override: number | undefined, where: string): Promise<number> {
  if (override !== undefined) {
    if (!Number.isInteger(override) || override < 1) throw new RangeError(`${where}: maxMessageBytes must be a positive whole number of bytes; got ${String(override)}`);
    return override;
  }
  return Math.max(1024, (await client.maxPayload()) - HEADROOM);
}

/** Where and how the chunks of one value go. */
export interface ChunkTarget {
  stream: string;
  /** The chunk subject. */
  subject: string;
  /** Chunk i gets Msg-Id `${msgIdPrefix}:${i}`. */
  msgIdPrefix: string;
  /** Values whose encoding is longer than this many bytes are chunked. */
  limit: number;
  /**
   * A chunk the server reports as a duplicate of an earlier message is reused only when that
   * message has a sequence above this and holds the same bytes; otherwise (an orphan of another
   * writer with other content, or one that retention may remove) it is published again without a
   * Msg-Id. So every chunk a message names lies above `minSeq` (the partition log's retention
   * relies on it).
   */
  minSeq: number;
}

/** The message to publish for `value`: its payload, and headers when it names chunks. */
export async function encodeChunked(client: JetStreamClient, value: unknown, target: ChunkTarget): Promise<{ data: Uint8Array; headers?: Record<string, string> }> {
  const bytes = encodeValue(value);
  if (bytes.length <= target.limit) return { data: bytes };
  const count = Math.ceil(bytes.length / target.limit);
  const seqs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const piece = bytes.subarray(i * target.limit, Math.min(bytes.length, (i + 1) * target.limit));
      const ack = await client.publish(target.subject, piece, { msgId: `${target.msgIdPrefix}:${i}` });
      if (!ack.duplicate) return ack.seq;
      if (ack.seq > target.minSeq) {
        const earlier = await client.directGet(target.stream, ack.seq);
        if (earlier !== undefined && earlier.subject === target.subject && Buffer.from(earlier.data).equals(piece)) return ack.seq;
      }
      return (await client.publish(target.subject, piece)).seq;
    }),
  );
  return { data: encodeValue({ chunks: seqs, size: bytes.length }), headers: { [CHUNKED_HEADER]: String(count) } };
}

/**
 * The value of a message written by {@link encodeChunked}, its chunks read back by direct get.
 * `what` names the value in errors. STORAGE_CORRUPT when a chunk is missing or the value does
 * not decode.
 */
export async function decodeChunked(client: JetStreamClient, stream: string, chunkSubject: string, message: { data: Uint8Array; headers: Record<string, string> | undefined }, what: string): Promise<unknown> {
  if (message.headers?.[CHUNKED_HEADER] === undefined) return decodeValue(what, message.data);
  const ref = decodeValue(what, message.data) as { chunks?: unknown; size?: unknown };
  const chunks = ref?.chunks;
  if (!Array.isArray(chunks) || !chunks.every((s) => Number.isSafeInteger(s)) || typeof ref.size !== "number") {
    throw corrupt(what, "names its chunks in a form this build does not read");
  }
  const pieces = await Promise.all(
    (chunks as number[]).map(async (seq, i) => {
      const m = await client.directGet(stream, seq);
      if (m === undefined || m.subject !== chunkSubject) {
        throw corrupt(what, `is missing chunk ${i + 1} of ${chunks.length} (stream sequence ${seq} on ${chunkSubject}${m === undefined ? "" : `; that sequence is on ${m.subject}`})`);
      }
      return m.data;
    }),
  );
  const whole = Buffer.concat(pieces);
  if (whole.length !== ref.size) throw corrupt(what, `has chunks of ${whole.length} bytes in all; its message names ${ref.size}`);
  return decodeValue(what, whole);
}

/**
 * The lowest stream sequence `message` occupies: its own, or that of a chunk it names (chunks are
 * published before the message that names them). Malformed chunk references are left to
 * {@link decodeChunked}, which reports them.
 */
export function lowestSeq(message: { seq: number; data: Uint8Array; headers: Record<string, string> | undefined }, what: string): number {
  if (message.headers?.[CHUNKED_HEADER] === undefined) return message.seq;
  const chunks = (decodeValue(what, message.data) as { chunks?: unknown } | undefined)?.chunks;
  if (!Array.isArray(chunks)) return message.seq;
  return Math.min(message.seq, ...chunks.filter((s): s is number => Number.isSafeInteger(s)));
}

function corrupt(what: string, why: string): StorageError {
  return new StorageError(
    ErrorCodes.STORAGE_CORRUPT,
    `${what} in JetStream ${why}. The stream was changed outside dstream (messages deleted or purged); ` +
      "the group cannot rebuild this from what is left: restore the stream or start the group afresh.",
    { key: what },
  );
}
