/**
 * The live UI's view of a group member's group (DESIGN.md §10): the members, the partitions each
 * holds, and per partition its last commit and lag. Reading it takes several JetStream requests
 * (the bucket, one log read per partition), so it is cached and read again in the background at
 * most every few seconds, when something asks (a finished batch with a page open, a REST call, a
 * scrape): never on a batch's path, never on a timer of its own.
 */
import { performance } from "node:perf_hooks";
import type { GroupHandle } from "../group/contracts.js";
import type { GroupStatus } from "../group/group-status.js";
import type { Exposition } from "./prometheus.js";
import type { UiSource } from "./ui-source.js";

/** What the UI shows of the group: GET …/streaming/dstream/group, and the `group` event. */
export interface GroupUiView {
  group: string;
  memberId: string;
  /** The partitions this member holds now (its own leases: always current). */
  owned: number[];
  /** The last read of the group (the shape of `dstream inspect --group --json`); null before the first. */
  status: GroupStatus | null;
  /** Why the last read failed (the previous status is kept); null when it succeeded. */
  error: string | null;
}

/** Default for {@link GroupStatusCache}: reads at most this often (wall-clock ms). */
export const GROUP_REFRESH_MS = 2000;

/** The group's status, read at most every `everyMs`; `onUpdate` gets each new read. */
export class GroupStatusCache {
  private status: GroupStatus | null = null;
  private error: string | null = null;
  private readAt = -Infinity;
  private reading = false;

  constructor(
    private readonly handle: () => GroupHandle | undefined,
    private readonly onUpdate: (view: GroupUiView) => void,
    private readonly everyMs = GROUP_REFRESH_MS,
  ) {}

  /** The view now (undefined when the job is not, or not yet, a group member); starts a read when the last one is old. */
  get(): GroupUiView | undefined {
    const g = this.handle();
    if (g === undefined) return undefined;
    this.refresh(g);
    return { group: g.name, memberId: g.memberId, owned: g.owned(), status: this.status, error: this.error };
  }

  private refresh(g: GroupHandle): void {
    const now = performance.now();
    if (this.reading || now - this.readAt < this.everyMs) return;
    this.reading = true;
    this.readAt = now;
    g.status()
      .then(
        (status) => {
          this.status = status;
          this.error = null;
        },
        (err: unknown) => void (this.error = err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        this.reading = false;
        this.onUpdate({ group: g.name, memberId: g.memberId, owned: g.owned(), status: this.status, error: this.error });
      });
  }
}

/** GET …/streaming/dstream/group: 404 when the job runs alone. */
export function groupReply(src: UiSource): { status: number; body: unknown } {
  const view = src.group?.();
  if (view === undefined) return { status: 404, body: { message: "this job is not a member of a group (no group option, or not started yet)" } };
  return { status: 200, body: view };
}

/** The group's gauges on /metrics (nothing when the job runs alone). */
export function groupMetrics(src: UiSource, m: Exposition): void {
  const view = src.group?.();
  if (view === undefined) return;
  const labels = { app: src.appName, group: view.group };
  m.metric("dstream_group_partitions_held", "gauge", "Partitions whose lease this member holds.", [[{ ...labels, member: view.memberId }, view.owned.length]]);
  const s = view.status;
  if (s === null) return;
  m.metric("dstream_group_members", "gauge", "Live members of the group (heartbeat younger than leaseMs), at the last read.", [[labels, s.members.filter((x) => x.live).length]]);
  m.metric("dstream_group_partitions", "gauge", "Partitions of the group.", [[labels, s.partitions]]);
  const partitions = s.partitionStatus;
  m.metric(
    "dstream_group_partition_committed_batch_time_seconds",
    "gauge",
    "Batch time of each partition's newest commit (Unix time), at the last read; absent before its first commit.",
    partitions.map((p) => [{ ...labels, partition: p.partition }, p.lastCommitTime === null ? undefined : p.lastCommitTime / 1000]),
  );
  m.metric("dstream_group_partition_lag_batches", "gauge", "Batches each partition's newest commit is behind the group's newest, at the last read.", partitions.map((p) => [{ ...labels, partition: p.partition }, p.lagBatches]));
}
