import { randomBytes } from "node:crypto";

/**
 * A job's identity, as the exactly-once sinks write it next to their sink ids (ledger rows,
 * message ids): two jobs that write the same table or stream under the same sink id must not
 * take each other's batches for their own. Stable across restarts of the same job: a
 * checkpointed job keeps it in its checkpoint's meta record, every member of a group derives it
 * from the group's name. A job without a checkpoint has one per context.
 */

/** A new random job id (64 bits, hex): no two jobs or contexts share one. */
export function newJobId(): string {
  return randomBytes(8).toString("hex");
}

/** The job id of every member of group `name`: the members are one job. */
export function groupJobId(name: string): string {
  return `group:${name}`;
}
