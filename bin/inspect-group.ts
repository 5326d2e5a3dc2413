/**
 * `dstream inspect --group <name>`: where a group of processes stands (DESIGN.md §10), read from
 * JetStream without joining it: nothing is written to the group's bucket or streams (no heartbeat,
 * no lease, no fence), so inspecting a running group never disturbs it.
 */
import { JetStreamClient, serverList } from "../lib/sources/jetstream/jetstream-client.js";
import { readGroupStatus, type GroupStatus } from "../lib/group/group-status.js";

/** Options of {@link inspectGroup}. */
export interface InspectGroupOptions {
  /** Default nats://127.0.0.1:4222. */
  servers?: string | string[];
  /** The members' leaseMs, to judge liveness (the bucket does not record it); default 10 000. */
  leaseMs?: number;
}

export const DEFAULT_SERVERS = "nats://127.0.0.1:4222";

/** Reads group `name`; SOURCE_UNAVAILABLE when the server cannot be reached or there is no such group. */
export async function inspectGroup(name: string, options: InspectGroupOptions = {}): Promise<GroupStatus> {
  const servers = serverList(options.servers ?? DEFAULT_SERVERS, "--servers");
  const client = JetStreamClient.open(servers);
  try {
    return await readGroupStatus(client, name, options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs });
  } finally {
    await client.release();
  }
}
