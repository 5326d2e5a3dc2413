import { randomBytes } from "node:crypto";
import mqtt from "mqtt";

/** The broker the tests use (.ci/start-services starts it). */
export const MQTT_URL = "mqtt://127.0.0.1:1883";

/** A unique topic and client id for one test, a publisher, and the cleanup of the session. */
export interface TestTopic {
  readonly topic: string;
  readonly clientId: string;
  /** Publishes at `qos` and waits until the broker acknowledged each message. */
  publish(bodies: readonly (string | Uint8Array)[], qos?: 0 | 1 | 2): Promise<void>;
  /** Creates the receiver's persistent session and its subscription (so messages queue before it runs). */
  createSession(qos?: 1 | 2): Promise<void>;
  /** Ends the receiver's persistent session at the broker. */
  remove(): Promise<void>;
}

/** A fresh topic `dstream/<prefix>/<pid>-<random>` and client id `<prefix>-<pid>-<random>`. */
export async function testTopic(prefix: string): Promise<TestTopic> {
  const suffix = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const topic = `dstream/${prefix}/${suffix}`;
  const clientId = `${prefix}-${suffix}`;
  return {
    topic,
    clientId,
    async publish(bodies, qos = 1) {
      // A client per call, so a broker restart between calls does no harm.
      const publisher = await mqtt.connectAsync(MQTT_URL, { clientId: `${clientId}-pub`, protocolVersion: 5, reconnectPeriod: 0 });
      try {
        await Promise.all(bodies.map((b) => publisher.publishAsync(topic, Buffer.from(b), { qos })));
      } finally {
        await publisher.endAsync().catch(() => undefined);
      }
    },
    async createSession(qos = 1) {
      const c = await mqtt.connectAsync(MQTT_URL, { clientId, clean: false, protocolVersion: 5, reconnectPeriod: 0, properties: { sessionExpiryInterval: 3600 } });
      await c.subscribeAsync(topic, { qos });
      await c.endAsync();
    },
    async remove() {
      // Clean Start with expiry 0 removes the session and whatever is still queued for it.
      const c = await mqtt.connectAsync(MQTT_URL, { clientId, clean: true, protocolVersion: 5, reconnectPeriod: 0 }).catch(() => undefined);
      await c?.endAsync().catch(() => undefined);
    },
  };
}
