import { randomBytes } from "node:crypto";
import amqp from "amqplib";

/** The broker the tests use (.ci/start-services starts it). */
export const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";

/** A durable queue with a unique name for one test, and a publisher on it. */
export interface TestQueue {
  readonly name: string;
  /** Publishes persistent messages and waits for the broker's confirms. */
  publish(bodies: readonly (string | Uint8Array)[], options?: { messageIds?: readonly (string | undefined)[] }): Promise<void>;
  /** Messages ready in the queue (unacknowledged ones of a live consumer not counted). */
  ready(): Promise<number>;
  /** Deletes the queue. */
  remove(): Promise<void>;
}

/** Runs `fn` on a confirm channel of a connection of its own (so a broker restart between calls does no harm). */
async function withChannel<R>(fn: (channel: amqp.ConfirmChannel) => Promise<R>): Promise<R> {
  const connection = await amqp.connect(RABBITMQ_URL);
  try {
    return await fn(await connection.createConfirmChannel());
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Declares a fresh durable queue named `<prefix>-<pid>-<random>`. */
export async function testQueue(prefix: string): Promise<TestQueue> {
  const name = `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;
  await withChannel((c) => c.assertQueue(name, { durable: true }));
  return {
    name,
    publish: (bodies, options) =>
      withChannel(async (channel) => {
        for (const [i, b] of bodies.entries()) {
          const id = options?.messageIds?.[i];
          channel.sendToQueue(name, Buffer.from(b), { persistent: true, ...(id === undefined ? {} : { messageId: id }) });
        }
        await channel.waitForConfirms();
      }),
    ready: () => withChannel(async (channel) => (await channel.checkQueue(name)).messageCount),
    remove: () => withChannel((channel) => channel.deleteQueue(name)).then(() => undefined, () => undefined),
  };
}
