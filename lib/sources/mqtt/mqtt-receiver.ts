import type { MqttClient, Packet } from "mqtt";
import { crc32 } from "../../../storage/crc32.js";
import type { AckingBatcher, Delivery } from "../acking-batcher.js";
import { AckingReceiver, type AckingSession } from "../acking-receiver.js";
import { decodePayload } from "../message-codec.js";
import { redact } from "../option-checks.js";
import { checkMqttOptions, type CheckedMqttOptions, type MqttStreamOptions } from "./options.js";

type SendPacket = (packet: Packet, cb?: (err?: unknown) => void, cbStorePut?: () => void, noStore?: boolean) => void;

/** One connection of the receiver. */
export interface Session extends AckingSession {
  client?: MqttClient;
  /** Delivery position of the last QoS 1/2 message on this connection. */
  pos: number;
  /** PUBACK/PUBREC packets mqtt.js wanted to send, held until their block is durable. */
  held: Map<number, { packet: Packet; send: SendPacket }>;
  /** Packet ids whose block is durable before mqtt.js produced their acknowledgement. */
  releasedEarly: Set<number>;
  /** Every acknowledgement of a delivery up to this position has been written to the connection. */
  ackedPos: number;
  /** Per PINGREQ written and not yet answered, in order: `ackedPos` when it was written. */
  pings: number[];
  /** The broker processed the acknowledgements up to this position (a PINGRESP answered). */
  confirmedPos: number;
}

/**
 * `ssc.mqttStream(options)`: subscribes with a persistent MQTT 5 session (Clean Start off, a
 * session expiry) and, at QoS 1 or 2, acknowledges a message (PUBACK, or PUBREC at QoS 2) only once
 * the block holding it is durable in the WAL: a reliable receiver.
 *
 * mqtt.js handles one incoming packet at a time and sends its acknowledgement when `handleMessage`
 * calls back; holding that callback until a synced write would allow one message per fsync. So
 * the receiver calls back at once and holds the acknowledgement packet itself (it intercepts the
 * client's packet writer for PUBACK/PUBREC only): messages keep flowing, up to the Receive Maximum
 * the receiver announces, and many share one block and one write. Acknowledgements go out in
 * delivery order after the block's write.
 *
 * After a crash (ours, or the broker's restart) the broker resends what it has not seen
 * acknowledged, with the DUP flag and the same packet id. Each block's offset holds, for every
 * message whose acknowledgement the broker may not have processed, its packet id and a CRC-32 of
 * topic and payload (see RedeliveryWindow); a DUP message matching one of them is already in the
 * WAL: acknowledged and dropped. (The CRC guards the case where the broker reused a packet id
 * after our acknowledgement did arrive.)
 *
 * Which acknowledgements the broker processed is proven, not inferred from the Receive Maximum:
 * Mosquitto 2.0.11 sends far more unacknowledged messages than the Receive Maximum allows (with
 * 20 announced, 380-400 were measured outstanding), so an identity dropped once 20 later messages
 * arrived could still come back after a broker restart, and was counted twice (39 and 58 of 1,000
 * seen). After each batch of acknowledgements the receiver writes a PINGREQ; the broker handles a
 * connection's packets in order, so its PINGRESP proves that every PUBACK written before was
 * processed, and only then do those identities leave the window.
 *
 * QoS 0 is at-most-once: messages are stored with `store` and nothing is acknowledged. The broker
 * keeps messages for the session while the job is down only up to its own limits (Mosquitto:
 * `max_queued_messages`, 1000 by default); messages it drops never reach the receiver.
 */
export class MqttReceiver<T = string> extends AckingReceiver<T, number, Session> {
  readonly options: Readonly<CheckedMqttOptions>;

  constructor(options: MqttStreamOptions) {
    const o = checkMqttOptions(options);
    // Infinity: the broker's Receive Maximum bounds nothing we can rely on (see the class comment).
    super({ name: o.name ?? `MqttReceiver(${o.clientId})`, ...(o.maxRate === undefined ? {} : { maxRate: o.maxRate }) }, Infinity, o.reconnectDelay);
    this.options = o;
  }

  protected newSession(): Session {
    return { closed: false, pos: 0, held: new Map(), releasedEarly: new Set(), ackedPos: 0, pings: [], confirmedPos: 0 };
  }

  protected connectFailure(): string {
    return `Cannot subscribe at ${redact(this.options.url)} as ${this.options.clientId}; reconnecting`;
  }

  protected async connect(session: Session, batcher: AckingBatcher<T, number>): Promise<void> {
    const o = this.options;
    const mqtt = await import("mqtt");
    if (session.closed) return;
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: o.sessionExpiry, receiveMaximum: o.receiveMaximum },
      reconnectPeriod: 0, // the supervisor reconnects, with backoff and listener events
      resubscribe: false,
      manualConnect: true,
      customHandleAcks: (topic, payload, packet, done) => {
        if (!session.closed) {
          const id = packet.messageId as number;
          const key = `${id}:${crc32(Buffer.concat([Buffer.from(topic), Buffer.from([0]), payload])).toString(36)}`;
          const what = `MQTT topic ${topic}: message ${id} is not ${o.codec}; acknowledged and dropped`;
          batcher.push(this.delivery(id, key, ++session.pos, packet.dup, () => decodePayload<T>(payload, o.codec), what));
        }
        done(0);
      },
    });
    session.client = client;
    this.holdAcks(session, client);
    client.on("message", (topic, payload, packet) => {
      if (packet.qos === 0 && !session.closed) this.storeAtMostOnce(topic, payload);
    });
    client.on("packetreceive", (packet) => {
      if (packet.cmd === "pingresp") this.pingAnswered(session);
    });
    client.on("error", (err) => void (session.error = err));
    client.on("close", () => this.lost(session, `MQTT connection to ${redact(o.url)} closed; reconnecting`, session.error));
    client.on("connect", (connack) => {
      // A resumed session keeps its subscriptions; subscribing again would resend retained messages.
      if (connack.sessionPresent) return;
      client.subscribe(o.topics, { qos: o.qos }, (err, granted) => {
        const refused = granted?.filter((g) => g.qos > 2) ?? [];
        if (err !== null && err !== undefined) this.lost(session, `MQTT subscribe to ${o.topics.join(", ")} failed; reconnecting`, err);
        else if (refused.length > 0) this.lost(session, `MQTT broker refused the subscription to ${refused.map((g) => g.topic).join(", ")} (reason ${refused[0]?.qos}); reconnecting`, undefined);
      });
    });
    client.connect();
  }

  protected async disconnect(session: Session): Promise<void> {
    const client = session.client;
    if (client === undefined) return;
    // A graceful end flushes the acknowledgements already written; a dead connection can't.
    const ended = client.endAsync(false).catch(() => undefined);
    const timer = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([ended, timer]);
    client.end(true);
  }

  /**
   * Intercepts PUBACK/PUBREC: mqtt.js moves on to the next packet, the packet waits for {@link settle}.
   * Notes every PINGREQ (mqtt.js's keepalive ones too) with the acknowledgements written before it.
   */
  private holdAcks(session: Session, client: MqttClient): void {
    const c = client as unknown as { _sendPacket: SendPacket };
    if (typeof c._sendPacket !== "function") throw new TypeError("mqttStream: this mqtt.js version has no _sendPacket to hold acknowledgements with; use mqtt 5.x");
    const send = c._sendPacket.bind(client);
    c._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if ((packet.cmd === "puback" || packet.cmd === "pubrec") && typeof packet.messageId === "number") {
        const id = packet.messageId;
        if (session.releasedEarly.delete(id)) return send(packet, cb, cbStorePut, noStore);
        session.held.set(id, { packet, send });
        cb?.();
        return;
      }
      if (packet.cmd === "pingreq") session.pings.push(session.ackedPos);
      send(packet, cb, cbStorePut, noStore);
    };
  }

  /** Sends the held acknowledgements of a durable batch, in delivery order. */
  protected settle(session: Session, batch: readonly Delivery<T, number>[]): void {
    // Even when closing: a graceful stop still acknowledges what it made durable.
    for (const d of batch) {
      const h = session.held.get(d.message);
      if (h === undefined) {
        session.releasedEarly.add(d.message);
        continue;
      }
      session.held.delete(d.message);
      try {
        h.send(h.packet);
      } catch {
        // The connection went away: the broker resends, the window recognises the message.
      }
    }
    // An acknowledgement released early goes out when mqtt.js produces it: until then, prove nothing past it.
    const last = batch[batch.length - 1];
    if (last !== undefined && session.releasedEarly.size === 0) session.ackedPos = Math.max(session.ackedPos, last.pos);
    this.proveAcks(session);
  }

  /** Writes a PINGREQ behind the acknowledgements not yet proven, unless one is on its way. */
  private proveAcks(session: Session): void {
    if (session.closed || session.pings.length > 0 || session.ackedPos <= session.confirmedPos) return;
    try {
      (session.client as unknown as { _sendPacket: SendPacket })._sendPacket({ cmd: "pingreq" });
    } catch {
      // The connection went away: nothing more is proven; the window keeps the identities.
    }
  }

  /** A PINGRESP: the broker processed every acknowledgement written before the oldest PINGREQ. */
  private pingAnswered(session: Session): void {
    const pos = session.pings.shift();
    if (pos === undefined) return;
    if (pos > session.confirmedPos) {
      session.confirmedPos = pos;
      this.acknowledgementsProcessed(session, pos);
    }
    this.proveAcks(session);
  }

  private storeAtMostOnce(topic: string, payload: Uint8Array): void {
    try {
      // QoS 0 has no flow control to apply: the broker pushes; past the rate limit the buffer grows.
      void this.store(decodePayload<T>(payload, this.options.codec));
    } catch (err) {
      this.reportError(`MQTT topic ${topic}: a QoS 0 message is not ${this.options.codec}; dropped`, err);
    }
  }
}
