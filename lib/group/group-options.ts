import { serverList } from "../sources/jetstream/jetstream-client.js";

/** `new StreamingContext({ group })`: run the job as one member of a group (DESIGN.md §10). */
export interface GroupOptions {
  /** Members with the same name share the partitions; [A-Za-z0-9_-]+. */
  name: string;
  /** The NATS servers whose JetStream holds the group's leases, logs and shuffles. */
  servers: string | string[];
  /** A member that has not renewed its leases for this long loses them; default 10 000 ms. */
  leaseMs?: number;
  /** Each partition's state is snapshotted every this many commits; default 10. */
  snapshotInterval?: number;
  /** This member's id; default host-pid-random. */
  memberId?: string;
  /**
   * Partitions of the stream the group's receivers write to (DESIGN.md §10); default: those of the
   * job's jetStream inputs, or 4 when it has none. Every input of a group has this many.
   */
  partitions?: number;
}

export interface ResolvedGroupOptions {
  name: string;
  servers: string[];
  leaseMs: number;
  snapshotInterval: number;
  memberId: string | undefined;
  partitions: number | undefined;
}

/** Validates the `group` option; undefined when the job runs alone. */
export function resolveGroupOptions(o: GroupOptions | undefined): ResolvedGroupOptions | undefined {
  if (o === undefined) return undefined;
  if (o === null || typeof o !== "object") throw new TypeError(`group must be { name, servers, leaseMs? }; got ${String(o)}`);
  if (typeof o.name !== "string" || !/^[A-Za-z0-9_-]+$/.test(o.name)) throw new TypeError(`group.name must be letters, digits, _ or - (it names JetStream streams); got ${JSON.stringify(o.name)}`);
  const leaseMs = o.leaseMs ?? 10_000;
  if (typeof leaseMs !== "number" || !Number.isFinite(leaseMs) || leaseMs < 300) throw new RangeError(`group.leaseMs must be a number of ms ≥ 300; got ${String(leaseMs)}`);
  const snapshotInterval = o.snapshotInterval ?? 10;
  if (!Number.isInteger(snapshotInterval) || snapshotInterval < 1) throw new RangeError(`group.snapshotInterval must be a positive integer; got ${String(snapshotInterval)}`);
  if (o.memberId !== undefined && (typeof o.memberId !== "string" || !/^[A-Za-z0-9_.-]+$/.test(o.memberId))) throw new TypeError(`group.memberId must be letters, digits, _, . or -; got ${JSON.stringify(o.memberId)}`);
  if (o.partitions !== undefined && (!Number.isInteger(o.partitions) || o.partitions < 1 || o.partitions > 1024)) throw new RangeError(`group.partitions must be an integer from 1 to 1024; got ${String(o.partitions)}`);
  return { name: o.name, servers: serverList(o.servers, "group.servers"), leaseMs, snapshotInterval, memberId: o.memberId, partitions: o.partitions };
}
