import { checkCodec, type MessageCodec } from "../message-codec.js";
import { checkUrl, optionalPositiveInt, optionalRate, optionsObject } from "../option-checks.js";

/** Options of `ssc.rabbitMqStream`. */
export interface RabbitMqStreamOptions {
  /** "amqp://guest:guest@127.0.0.1:5672" (amqplib's URL, with its query parameters). */
  url: string;
  /** An existing queue; the receiver consumes it and declares nothing. */
  queue: string;
  /** Unacknowledged messages at a time (`basic.qos`), and so the largest block; default 1000. */
  prefetch?: number;
  /** Payload to record; default "string". */
  codec?: MessageCodec;
  /** Records per second, as every receiver's `maxRate`. */
  maxRate?: number;
  /** Delay before reconnecting after a connection loss, doubled while it keeps failing; default 2000 ms. */
  reconnectDelay?: number;
  /** The receiver's name in listener events. */
  name?: string;
}

/** The options, checked, with defaults. */
export function checkRabbitMqOptions(options: RabbitMqStreamOptions): Required<Omit<RabbitMqStreamOptions, "maxRate" | "name">> & Pick<RabbitMqStreamOptions, "maxRate" | "name"> {
  const where = "rabbitMqStream(options)";
  const o = optionsObject(options, where, "{ url, queue, prefetch?, codec? }");
  if (typeof o.queue !== "string" || o.queue.length === 0) throw new TypeError(`${where}: queue must be the name of an existing queue; got ${String(o.queue)}`);
  return {
    url: checkUrl(o.url, where, ["amqp:", "amqps:"]),
    queue: o.queue,
    prefetch: optionalPositiveInt(o.prefetch, where, "prefetch", 65535) ?? 1000,
    codec: checkCodec(o.codec, where),
    maxRate: optionalRate(o.maxRate),
    reconnectDelay: optionalPositiveInt(o.reconnectDelay, where, "reconnectDelay", 3_600_000) ?? 2000,
    name: o.name,
  };
}
