import { randomBytes } from "node:crypto";
import { JetStreamClient, type RawMessage } from "../sources/jetstream/jetstream-client.js";

/** The NATS server the tests use (see services.ts). */
export const NATS_URL = "nats://127.0.0.1:4222";

/** A name no other test (or helper on this machine) uses: `${prefix}_<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** A JetStream stream of its own for one test, deleted by `remove()`. */
export interface TestStream {
  client: JetStreamClient;
  stream: string;
  /** The base subject: partition p is `${subject}.${p}`; other subjects under `${stream}.>` work too. */
  subject: string;
  /** Publishes `value` (a string) on partition `p`, with a `Dstream-Key` header when `key` is given. */
  publish(p: number, value: string, key?: string): Promise<number>;
  /** Every message on `subject`, in order. */
  read(subject: string): Promise<RawMessage[]>;
  remove(): Promise<void>;
}

/** Creates a stream over `${name}.>` (file storage) with the given limits. */
export async function testStream(options: { maxMsgs?: number; duplicateWindowMs?: number } = {}): Promise<TestStream> {
  const stream = uniqueName("dstream_test");
  const client = JetStreamClient.open([NATS_URL]);
  await client.ensureStream({ name: stream, subjects: [`${stream}.>`], ...options });
  const encoder = new TextEncoder();
  return {
    client,
    stream,
    subject: `${stream}.in`,
    publish: async (p, value, key) => (await client.publish(`${stream}.in.${p}`, encoder.encode(value), key === undefined ? {} : { headers: { "Dstream-Key": key } })).seq,
    read: (subject) => client.readAll(stream, subject),
    remove: async () => {
      await client.deleteStream(stream);
      await client.release();
    },
  };
}
