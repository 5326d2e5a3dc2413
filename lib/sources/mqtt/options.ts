import { checkCodec, type MessageCodec } from "../message-codec.js";
import { checkUrl, optionalPositiveInt, optionalRate, optionsObject } from "../option-checks.js";

/** Options of `ssc.mqttStream`. */
export interface MqttStreamOptions {
  /** "mqtt://127.0.0.1:1883" (also mqtts:, tcp:, ssl:, ws:, wss:). */
  url: string;
  /** Topic filters to subscribe to (wildcards allowed) when the broker has no session for clientId. */
  topics: string[];
  /** The persistent session's id: one running receiver per id. */
  clientId: string;
  /** 1 (default) or 2: reliable; 0: at-most-once (no acknowledgement to hold). */
  qos?: 0 | 1 | 2;
  /** Payload to record; default "string". */
  codec?: MessageCodec;
  /** MQTT 5 Receive Maximum: unacknowledged messages the broker may send at a time; default 1000. */
  receiveMaximum?: number;
  /** Seconds the broker keeps the session (and queues for it) while the job is down; default: never expires. */
  sessionExpiry?: number;
  /** Records per second, as every receiver's `maxRate`. */
  maxRate?: number;
  /** Delay before reconnecting after a connection loss, doubled while it keeps failing; default 2000 ms. */
  reconnectDelay?: number;
  /** The receiver's name in listener events. */
  name?: string;
}

export type CheckedMqttOptions = Required<Omit<MqttStreamOptions, "maxRate" | "name">> & Pick<MqttStreamOptions, "maxRate" | "name">;

/** The options, checked, with defaults. */
export function checkMqttOptions(options: MqttStreamOptions): CheckedMqttOptions {
  const where = "mqttStream(options)";
  const o = optionsObject(options, where, "{ url, topics, clientId, qos?, codec? }");
  if (!Array.isArray(o.topics) || o.topics.length === 0 || !o.topics.every((t) => typeof t === "string" && t.length > 0)) {
    throw new TypeError(`${where}: topics must be a non-empty array of topic filters; got ${JSON.stringify(o.topics)}`);
  }
  if (typeof o.clientId !== "string" || o.clientId.length === 0) throw new TypeError(`${where}: clientId must be a non-empty string naming the persistent session; got ${String(o.clientId)}`);
  const qos = o.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new RangeError(`${where}: qos must be 0, 1 or 2; got ${String(o.qos)}`);
  return {
    url: checkUrl(o.url, where, ["mqtt:", "mqtts:", "tcp:", "ssl:", "ws:", "wss:"]),
    topics: [...o.topics],
    clientId: o.clientId,
    qos,
    codec: checkCodec(o.codec, where),
    receiveMaximum: optionalPositiveInt(o.receiveMaximum, where, "receiveMaximum", 65535) ?? 1000,
    sessionExpiry: optionalPositiveInt(o.sessionExpiry, where, "sessionExpiry", 0xffffffff) ?? 0xffffffff,
    maxRate: optionalRate(o.maxRate),
    reconnectDelay: optionalPositiveInt(o.reconnectDelay, where, "reconnectDelay", 3_600_000) ?? 2000,
    name: o.name,
  };
}
