import { checkCodec, type MessageCodec } from "../message-codec.js";
import { serverList } from "./jetstream-client.js";

/** Options of `ssc.jetStream`. */
export interface JetStreamOptions {
  /** `"nats://127.0.0.1:4222"` or several URLs of one cluster. */
  servers: string | string[];
  /** An existing JetStream stream. */
  stream: string;
  /** Partition p is the subject `${subject}.${p}`. */
  subject: string;
  /** Partitions 0..partitions-1. */
  partitions: number;
  /** How payloads become values; default "string". */
  codec?: MessageCodec;
  /** Where a job with no recorded offsets starts; default "earliest". */
  startAt?: "earliest" | "latest";
  /** At most this many messages per second per partition (a range holds at most rate × batch seconds). */
  maxRatePerPartition?: number;
}

/** A record of a `jetStream` input. */
export interface JetStreamMessage<T> {
  subject: string;
  partition: number;
  /** The message's stream sequence. */
  seq: number;
  /** The `Dstream-Key` header, if the producer set one. */
  key: string | undefined;
  value: T;
  /** The stream's receive time, ms. */
  timestamp: number;
}

/** The header a producer sets to give a message a key. */
export const KEY_HEADER = "Dstream-Key";

/** Options checked, defaults applied. */
export interface ResolvedJetStreamOptions {
  servers: string[];
  stream: string;
  subject: string;
  partitions: number;
  codec: MessageCodec;
  startAt: "earliest" | "latest";
  maxRatePerPartition: number | undefined;
}

/** Validates `ssc.jetStream` options, naming the option that is wrong. */
export function resolveJetStreamOptions(options: JetStreamOptions): ResolvedJetStreamOptions {
  const where = "jetStream(options)";
  if (options === null || typeof options !== "object") throw new TypeError(`${where} expects { servers, stream, subject, partitions, … }; got ${String(options)}`);
  const servers = serverList(options.servers, where);
  // Stream names may not hold spaces, dots, * or > (NATS rule).
  if (typeof options.stream !== "string" || !/^[^\s.*>]+$/.test(options.stream)) throw new TypeError(`${where}: stream must be a JetStream stream name (no spaces, dots, * or >); got ${JSON.stringify(options.stream)}`);
  if (typeof options.subject !== "string" || !/^[^\s*>]+$/.test(options.subject) || options.subject.endsWith(".")) {
    throw new TypeError(`${where}: subject must be a subject without wildcards, such as "orders" (partition p reads "orders.p"); got ${JSON.stringify(options.subject)}`);
  }
  if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError(`${where}: partitions must be a positive integer; got ${String(options.partitions)}`);
  const startAt = options.startAt ?? "earliest";
  if (startAt !== "earliest" && startAt !== "latest") throw new TypeError(`${where}: startAt must be "earliest" or "latest"; got ${JSON.stringify(options.startAt)}`);
  const rate = options.maxRatePerPartition;
  if (rate !== undefined && !(typeof rate === "number" && rate > 0 && Number.isFinite(rate))) throw new RangeError(`${where}: maxRatePerPartition must be a positive number of messages per second; got ${String(rate)}`);
  return { servers, stream: options.stream, subject: options.subject, partitions: options.partitions, codec: checkCodec(options.codec, where), startAt, maxRatePerPartition: rate };
}
