import { createHash } from "node:crypto";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { AckingBatcher, Delivery } from "../acking-batcher.js";
import { AckingReceiver, type AckingSession } from "../acking-receiver.js";
import { decodePayload, type MessageCodec } from "../message-codec.js";
import { redact } from "../option-checks.js";
import { checkRabbitMqOptions, type RabbitMqStreamOptions } from "./options.js";

/** One connection of the receiver. */
export interface Session extends AckingSession {
  connection?: ChannelModel;
  channel?: Channel;
}

/**
 * `ssc.rabbitMqStream(options)`: consumes a RabbitMQ queue with manual acknowledgements, a reliable
 * receiver. Messages are stored as blocks with `storeMany` (one synced WAL write per block) and
 * acknowledged, in delivery order with one `basic.ack multiple`, only once their block is durable;
 * at most `prefetch` messages are unacknowledged at a time (`basic.qos`).
 *
 * A crash between the write and the acknowledgement makes RabbitMQ redeliver those messages, marked
 * redelivered. Each block's offset holds the identities of the messages whose acknowledgement may
 * not have reached the broker (see RedeliveryWindow); a redelivered message whose identity is
 * held is acknowledged and dropped. The identity is the AMQP `message-id` property when the
 * publisher set one, else a SHA-256 of the body: delivery tags are numbered per channel and start
 * again on every connection, so they cannot name a message across a crash. Without message ids,
 * two messages with identical bodies can be told apart only by count (the window is a multiset).
 *
 * A message the codec cannot decode is reported to listeners and rejected without requeue
 * (`basic.nack`, so a dead-letter exchange, if the queue has one, keeps it).
 * Connection loss restarts the receiver with backoff; the unacknowledged messages go back to the
 * queue and come again on the new connection.
 */
export class RabbitMqReceiver<T = string> extends AckingReceiver<T, ConsumeMessage, Session> {
  readonly url: string;
  readonly queue: string;
  readonly prefetch: number;
  readonly codec: MessageCodec;

  constructor(options: RabbitMqStreamOptions) {
    const o = checkRabbitMqOptions(options);
    super({ name: o.name ?? `RabbitMqReceiver(${o.queue})`, ...(o.maxRate === undefined ? {} : { maxRate: o.maxRate }) }, o.prefetch, o.reconnectDelay);
    this.url = o.url;
    this.queue = o.queue;
    this.prefetch = o.prefetch;
    this.codec = o.codec;
  }

  protected newSession(): Session {
    return { closed: false };
  }

  protected connectFailure(): string {
    return `Cannot consume RabbitMQ queue ${this.queue} at ${redact(this.url)}; reconnecting`;
  }

  protected async connect(session: Session, batcher: AckingBatcher<T, ConsumeMessage>): Promise<void> {
    const amqp = await import("amqplib");
    const connection = await (amqp.default ?? amqp).connect(this.url);
    session.connection = connection;
    connection.on("error", (err: Error) => void (session.error = err)); // "close" follows
    connection.on("close", (err?: Error) => this.lost(session, `RabbitMQ connection to ${redact(this.url)} closed; reconnecting`, err ?? session.error));
    if (session.closed) {
      await connection.close().catch(() => undefined);
      return;
    }
    const channel = await connection.createChannel();
    session.channel = channel;
    channel.on("error", (err: Error) => void (session.error = err));
    // A channel error (queue missing, 406…) closes the channel; the operation in flight then fails
    // too, and whichever comes first reports it.
    channel.on("close", () => this.lost(session, `Cannot consume RabbitMQ queue ${this.queue} at ${redact(this.url)}: channel closed; reconnecting`, session.error));
    await channel.checkQueue(this.queue);
    await channel.prefetch(this.prefetch);
    await channel.consume(this.queue, (msg) => {
      if (msg === null) this.lost(session, `RabbitMQ cancelled the consumer of queue ${this.queue} (deleted?); reconnecting`, undefined);
      else if (!session.closed) {
        const key = identityOf(msg);
        const what = `RabbitMQ queue ${this.queue}: message ${key} is not ${this.codec}; rejected without requeue`;
        batcher.push(this.delivery(msg, key, msg.fields.deliveryTag, msg.fields.redelivered, () => decodePayload<T>(msg.content, this.codec), what));
      }
    }, { noAck: false });
  }

  /**
   * The AMQP message-id, when the publisher set one. A body hash is not an identity here: two
   * messages with the same body would be one, and the group's stream would drop the second.
   */
  protected override globalId(msg: ConsumeMessage): string | undefined {
    const id = msg.properties.messageId;
    return typeof id === "string" && id.length > 0 ? `amqp:${this.queue}:${id}` : undefined;
  }

  protected async disconnect(session: Session): Promise<void> {
    // Closing the connection gives every unacknowledged message back to the queue.
    await session.connection?.close().catch(() => undefined);
  }

  /** Acknowledges a durable batch: one `ack multiple` per run of stored messages, a `nack` per rejected one. */
  protected settle(session: Session, batch: readonly Delivery<T, ConsumeMessage>[]): void {
    // Even when closing: a graceful stop still acknowledges what it made durable.
    const channel = session.channel;
    if (channel === undefined) return;
    try {
      let last: ConsumeMessage | undefined;
      for (const d of batch) {
        if (d.kind !== "rejected") {
          last = d.message;
          continue;
        }
        if (last !== undefined) channel.ack(last, true);
        last = undefined;
        channel.nack(d.message, false, false);
      }
      if (last !== undefined) channel.ack(last, true);
    } catch {
      // The channel closed meanwhile: the broker redelivers, the window recognises them.
    }
  }
}

/** The message's `message-id`, else a hash of its body (see the class comment). */
export function identityOf(msg: { content: Uint8Array; properties: { messageId?: unknown } }): string {
  const id = msg.properties.messageId;
  if (typeof id === "string" && id.length > 0) return `id:${id}`;
  return `sha256:${createHash("sha256").update(msg.content).digest("base64url").slice(0, 22)}`;
}
