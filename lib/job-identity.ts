import { randomBytes } from "node:crypto";

/**
 * A job's identity, as the exactly-once sinks write it next to their sink ids (ledger rows,
 * message ids): two jobs that write the same table or stream under the same sink id must not
 * take each other's batches for their own. Stable across restarts of the same job: a
 * checkpointed job keeps it in its checkpoint's meta record, a group in its meta (every member
 * reads the same). A job without a checkpoint has one per context.
 */

/** A new random job id (64 bits, hex): no two jobs or contexts share one. */
export function newJobId(): string {
  return randomBytes(8).toString("hex");
}

/**
 * A new job id for group `name`, `group:<name>:<random>`: written into the group's meta by its
 * first member, read from there by every other. Random too, so that a group started over (its
 * bucket deleted) or a namesake on another NATS server is another job.
 */
export function newGroupJobId(name: string): string {
  return `group:${name}:${newJobId()}`;
}
