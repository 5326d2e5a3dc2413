import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { NATS_URL } from "./jetstream-fixture.js";

/** Deletes everything group `name` keeps in JetStream: its KV bucket, log and shuffle streams. */
export async function removeGroup(name: string): Promise<void> {
  const client = JetStreamClient.open([NATS_URL]);
  try {
    for (const stream of [`KV_dstream_group_${name}`, `DSTREAM_GROUP_${name}_LOG`, `DSTREAM_GROUP_${name}_SHUF`]) await client.deleteStream(stream);
  } finally {
    await client.release();
  }
}
