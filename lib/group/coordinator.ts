/**
 * Group membership and partition leases in a JetStream KV bucket (DESIGN.md §10 "Leases").
 *
 * Bucket `dstream_group_<name>` holds:
 * - `meta`: the {@link GroupMeta} every member must agree on, written once by the first member;
 * - `member.<id>`: a member's heartbeat, written every leaseMs/3;
 * - `lease.<p>`: `{ member, epoch }`, the holder of partition p, taken and renewed with
 *   compare-and-set on the entry's revision. The epoch grows with every new tenure (a take). A
 *   member gives a lease up by writing `{ member: "", epoch }` with compare-and-set rather than
 *   deleting the key, so that the next holder at once takes it and the epoch never goes back.
 *
 * Time is the server's: an entry carries the server's timestamp, and a member estimates the
 * server's "now" as its own last heartbeat's timestamp plus the local time elapsed since it sent
 * that heartbeat (an over-estimate by at most one round trip). A member is live while its heartbeat
 * is younger than leaseMs; a lease is taken from a holder that is not live or whose entry is older
 * than leaseMs.
 *
 * A member's own leases are judged by its local clock alone: a lease renewed in a tick counts from
 * the moment that tick's heartbeat was sent (no later than the server stamped the renewal), and
 * is dropped locally a tenth of leaseMs before anyone else can take it. So a member that cannot
 * reach the server (NATS restarting, the process paused) stops believing in its leases before the
 * server may give them away. The partition log's fencing covers what is left (a member paused
 * between its check and its write).
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { checkCompatible, type GraphFingerprint } from "../../recovery/fingerprint.js";
import { JetStreamClient, type KvBucket, type KvEntry } from "../sources/jetstream/jetstream-client.js";
import { decodeValue, encodeValue } from "../../storage/codec.js";
import type { GroupCoordinator, GroupMeta, MemberInfo, OwnershipChange } from "./contracts.js";
import { partitionLogStream } from "./partition-log.js";

/** Options of {@link joinGroup}. */
export interface JoinGroupOptions {
  servers: string[];
  /** The group's name: letters, digits, `_` and `-`. */
  group: string;
  /** Default `${hostname}-${pid}-${random}`. */
  memberId?: string;
  /** How long a lease lasts without renewal (≥ 300 ms). */
  leaseMs: number;
  /** This member's meta: written if it is the first member, compared otherwise. */
  proposed: GroupMeta;
}

const GROUP_NAME = /^[A-Za-z0-9_-]+$/;
/** KV key characters (a member id becomes part of a key). */
const MEMBER_ID = /^[A-Za-z0-9_=-][A-Za-z0-9_=.-]*$/;
const MEMBER_PREFIX = "member.";
const LEASE_PREFIX = "lease.";
/** An expiry tick runs this long after the lapse it waits for (clock estimates are not exact). */
const EXPIRY_SLACK_MS = 25;
const MIN_LEASE_MS = 300;

/** The KV bucket of group `name`. */
export function groupBucketName(name: string): string {
  return `dstream_group_${name}`;
}

interface LeaseValue {
  member: string;
  epoch: number;
}

/** A lease entry: its holder ("" once given up), its epoch, and the entry's revision and server time. */
export interface Lease extends LeaseValue {
  revision: number;
  timestamp: number;
}

interface Held {
  revision: number;
  epoch: number;
  /** Local time (performance.now) from which the lease's last renewal counts. */
  since: number;
}

/**
 * The partitions each member should hold: every live member gets ⌊P/n⌋ or ⌈P/n⌉. The members
 * that hold the most now get the larger shares (ties by id), each keeps what it holds up to its
 * share (lowest partitions first), and what is left goes in ascending order to the members in id
 * order. Deterministic for a given view, and it moves only the partitions balance needs to move:
 * a joining member takes a share from the others, a leaving one's partitions are spread.
 */
export function assignPartitions(members: readonly string[], partitions: number, holders: ReadonlyMap<number, string>): Map<string, number[]> {
  const sorted = [...new Set(members)].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  if (sorted.length === 0) return out;
  const held = new Map<string, number[]>(sorted.map((m) => [m, []]));
  for (let p = 0; p < partitions; p++) {
    const h = holders.get(p);
    if (h !== undefined) held.get(h)?.push(p);
  }
  const base = Math.floor(partitions / sorted.length);
  let extra = partitions % sorted.length;
  const quota = new Map<string, number>();
  const byHeld = [...sorted].sort((a, b) => held.get(b)!.length - held.get(a)!.length || (a < b ? -1 : 1));
  for (const m of byHeld) quota.set(m, base + (extra-- > 0 ? 1 : 0));
  const taken = new Set<number>();
  for (const m of sorted) {
    for (const p of held.get(m)!.slice(0, quota.get(m))) {
      out.get(m)!.push(p);
      taken.add(p);
    }
  }
  let p = 0;
  for (const m of sorted) {
    const mine = out.get(m)!;
    while (mine.length < quota.get(m)!) {
      while (taken.has(p)) p++;
      mine.push(p);
      taken.add(p++);
    }
    mine.sort((a, b) => a - b);
  }
  return out;
}

/** What a group's bucket says at one moment; see {@link groupView}. */
export interface GroupView {
  /** Members whose heartbeat is younger than leaseMs, sorted. */
  live: string[];
  /** Every member key's heartbeat: the server's time of its last write. */
  heartbeats: Map<string, number>;
  /** Every lease entry of a partition 0..P-1, held or not. */
  leases: Map<number, Lease>;
  /** The holders of fresh leases (live member, entry younger than leaseMs). */
  holders: Map<number, string>;
}

/**
 * Live members and lease holders from the bucket's `entries`, at the server's time `serverNow`:
 * the rule every member applies, and what read-only tools (`dstream inspect --group`) show.
 */
export function groupView(entries: readonly KvEntry[], at: { group: string; partitions: number; leaseMs: number; serverNow: number }): GroupView {
  const live = new Set<string>();
  const heartbeats = new Map<string, number>();
  const leases = new Map<number, Lease>();
  for (const e of entries) {
    if (e.key.startsWith(MEMBER_PREFIX)) {
      const id = e.key.substring(MEMBER_PREFIX.length);
      heartbeats.set(id, e.timestamp);
      if (at.serverNow - e.timestamp < at.leaseMs) live.add(id);
    } else if (e.key.startsWith(LEASE_PREFIX)) {
      const p = Number(e.key.substring(LEASE_PREFIX.length));
      if (!Number.isInteger(p) || p < 0 || p >= at.partitions) continue;
      const v = decodeValue(`group ${at.group} ${e.key}`, e.value) as LeaseValue;
      leases.set(p, { member: v.member, epoch: v.epoch, revision: e.revision, timestamp: e.timestamp });
    }
  }
  const holders = new Map<number, string>();
  for (const [p, l] of leases) {
    if (live.has(l.member) && at.serverNow - l.timestamp < at.leaseMs) holders.set(p, l.member);
  }
  return { live: [...live].sort(), heartbeats, leases, holders };
}

/** The group's stored meta, from the bucket's `meta` entry. */
export function decodeGroupMeta(group: string, entry: KvEntry): GroupMeta {
  return decodeValue(`group ${group} meta`, entry.value) as GroupMeta;
}

/** The key of the group's meta in its bucket. */
export const GROUP_META_KEY = "meta";

/**
 * Joins group `options.group`: agrees on the meta (refused with `CHECKPOINT_MISMATCH`, writing
 * nothing, when it differs), registers the member and takes its first leases before returning.
 */
export async function joinGroup(options: JoinGroupOptions): Promise<KvGroupCoordinator> {
  const { group, leaseMs } = options;
  if (typeof group !== "string" || !GROUP_NAME.test(group)) {
    throw new TypeError(`joinGroup: group must be a name of letters, digits, "_" and "-"; got ${JSON.stringify(group)}`);
  }
  if (typeof leaseMs !== "number" || !Number.isFinite(leaseMs) || leaseMs < MIN_LEASE_MS) {
    throw new RangeError(`joinGroup: leaseMs must be a number ≥ ${MIN_LEASE_MS} (renewals run every leaseMs/3); got ${String(leaseMs)}`);
  }
  const memberId = options.memberId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, "_")}-${process.pid}-${randomBytes(4).toString("hex")}`;
  if (typeof memberId !== "string" || !MEMBER_ID.test(memberId)) {
    throw new TypeError(`joinGroup: memberId must be letters, digits, "_", "-", "=" and "." (not first); got ${JSON.stringify(memberId)}`);
  }
  const p = options.proposed;
  if (!Number.isInteger(p?.partitions) || p.partitions < 1) {
    throw new RangeError(`joinGroup: proposed.partitions must be a positive integer; got ${String(p?.partitions)}`);
  }
  const client = JetStreamClient.open(options.servers);
  try {
    const bucket = await client.kvBucket(groupBucketName(group), { timeoutMs: Math.max(leaseMs, 2_000) });
    const meta = await agreeOnMeta(client, bucket, group, p);
    const member = new KvGroupCoordinator(client, bucket, group, memberId, leaseMs, meta);
    // A failed first round: take back the heartbeat (and any lease) it may have written.
    await member.start().catch(async (err: unknown) => {
      await member.leave().catch(() => undefined);
      throw err;
    });
    return member;
  } catch (err) {
    await client.release();
    throw err;
  }
}

/** The stored meta (writing `proposed` when there is none); CHECKPOINT_MISMATCH when they differ. */
async function agreeOnMeta(client: JetStreamClient, bucket: KvBucket, group: string, proposed: GroupMeta): Promise<GroupMeta> {
  for (;;) {
    const entry = await bucket.get(GROUP_META_KEY);
    if (entry === undefined) {
      await refuseLeftoverLog(client, group);
      if ((await bucket.create(GROUP_META_KEY, encodeValue(proposed))) !== undefined) return proposed;
      continue; // another member created it first: compare with theirs
    }
    const stored = decodeGroupMeta(group, entry);
    const differs: string[] = [];
    if (stored.partitions !== proposed.partitions) differs.push(`partitions: the group has ${stored.partitions}, this member ${proposed.partitions}`);
    if (stored.batchDuration !== proposed.batchDuration) differs.push(`batch duration: the group has ${stored.batchDuration} ms, this member ${proposed.batchDuration} ms`);
    if (stored.hash !== proposed.hash) differs.push(`key hash: the group has ${stored.hash}, this member ${proposed.hash}`);
    if (differs.length > 0) {
      throw new StreamingError(
        ErrorCodes.CHECKPOINT_MISMATCH,
        `Group ${group} was started with other settings than this member's:\n${differs.map((d) => `  - ${d}`).join("\n")}\n` +
          `Every member of a group must run the same job; run this one under another group name, or stop every member and delete the group to start over: its KV bucket ${groupBucketName(group)} and streams ${partitionLogStream(group)}, DSTREAM_GROUP_${group}_SHUF and DSTREAM_GROUP_${group}_RECV.`,
      );
    }
    checkCompatible(
      `group ${group}`,
      stored.fingerprint as GraphFingerprint,
      proposed.fingerprint as GraphFingerprint,
      `run the job under a new group name (or, once every member has stopped, delete the group: its KV bucket dstream_group_${group} and streams DSTREAM_GROUP_${group}_*)`,
    );
    return stored;
  }
}

/**
 * A group without meta (a new group, or one whose KV bucket was deleted to start over) must have
 * no partition log yet: a member would go on from what it holds (commits, state, input positions)
 * of an earlier run, perhaps with other partitions or another job. CHECKPOINT_MISMATCH, nothing
 * written, when the log stream holds entries.
 */
async function refuseLeftoverLog(client: JetStreamClient, group: string): Promise<void> {
  const stream = partitionLogStream(group);
  if (!(await client.streamExists(stream))) return;
  const { firstSeq, lastSeq } = await client.streamState(stream);
  if (lastSeq < firstSeq) return;
  throw new StreamingError(
    ErrorCodes.CHECKPOINT_MISMATCH,
    `Group ${group} has no meta in its KV bucket ${groupBucketName(group)} (deleted?), but its partition log, stream ${stream}, holds an earlier run's commits and state: ` +
      `a new group would go on from them, with partitions and a job that may differ. To start over, delete the group's streams ${stream}, DSTREAM_GROUP_${group}_SHUF and DSTREAM_GROUP_${group}_RECV as well (or run under another group name).`,
  );
}

/** A member of a group: the {@link GroupCoordinator} over a JetStream KV bucket. */
export class KvGroupCoordinator implements GroupCoordinator {
  private readonly held = new Map<number, Held>();
  private readonly listeners: ((change: OwnershipChange) => void)[] = [];
  private state: "running" | "paused" | "left" = "running";
  private tickTimer: NodeJS.Timeout | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;
  /** A tick due just after the next moment another member's heartbeat or lease would lapse. */
  private expiryTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private leaving: Promise<void> | undefined;
  /** The server's timestamp of this member's last heartbeat, and the local time it was sent. */
  private clock: { server: number; local: number } | undefined;
  /** The last error of a background tick (they are retried on the next tick), for diagnostics. */
  lastError: unknown;
  /** Ticks run and their total time (ms), for measurements. */
  readonly stats = { ticks: 0, tickMs: 0, failedTicks: 0 };

  /** @internal built by {@link joinGroup} */
  constructor(
    private readonly client: JetStreamClient,
    private readonly bucket: KvBucket,
    readonly group: string,
    readonly memberId: string,
    readonly leaseMs: number,
    readonly meta: GroupMeta,
  ) {}

  owned(): number[] {
    // By the clock, not only when the lapse timer fires: after a pause (SIGSTOP, a long GC) the
    // batch in progress may continue before the overdue timer runs. (The test hook's "paused"
    // member is a stopped process: nothing of it runs to ask.)
    if (this.state === "running") this.dropLapsed();
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  onChange(listener: (change: OwnershipChange) => void): void {
    this.listeners.push(listener);
  }

  lost(p: number): void {
    const h = this.held.get(p);
    if (h === undefined) return;
    this.change([], [p]);
    // If the lease is still ours (revision unchanged), free it for the others at once.
    void this.release(p, h).catch((err: unknown) => (this.lastError = err));
  }

  async members(): Promise<MemberInfo[]> {
    if (this.state === "left") throw new TypeError(`group ${this.group}: members() after leave()`);
    const view = this.view(await this.bucket.entries());
    return view.live.map((id) => ({ id, partitions: [...view.holders].filter(([, m]) => m === id).map(([p]) => p).sort((a, b) => a - b) }));
  }

  leave(): Promise<void> {
    this.leaving ??= this.doLeave();
    return this.leaving;
  }

  /** Test hook: stops this member's timers as if its process were paused (SIGSTOP). */
  pause(): void {
    if (this.state !== "running") return;
    this.state = "paused";
    this.stopTimers();
  }

  /** Test hook: resumes a paused member; it first checks its leases against the local clock. */
  resume(): void {
    if (this.state !== "paused") return;
    this.state = "running";
    this.startTimers();
  }

  /** @internal the first tick (registration and first leases), then the timers. */
  async start(): Promise<void> {
    await this.tick();
    this.startTimers();
  }

  private startTimers(): void {
    this.dropLapsed();
    this.tickTimer = setInterval(() => this.scheduleTick(), Math.floor(this.leaseMs / 3)).unref();
    this.lapseTimer = setInterval(() => {
      // A throwing onChange listener must not take the process down from a timer.
      try {
        this.dropLapsed();
      } catch (err) {
        this.lastError = err;
      }
    }, Math.max(20, Math.floor(this.leaseMs / 10))).unref();
    this.scheduleTick();
  }

  private stopTimers(): void {
    clearInterval(this.tickTimer);
    clearInterval(this.lapseTimer);
    clearTimeout(this.expiryTimer);
    this.tickTimer = this.lapseTimer = undefined;
  }

  /** Runs a tick unless one is still running (a slow server must not pile them up). */
  private scheduleTick(): void {
    if (this.state !== "running" || this.ticking !== undefined) return;
    const started = performance.now();
    this.ticking = this.tick()
      .catch((err: unknown) => {
        this.lastError = err;
        this.stats.failedTicks++;
      })
      .finally(() => {
        this.stats.ticks++;
        this.stats.tickMs += performance.now() - started;
        this.ticking = undefined;
      });
  }

  /**
   * Schedules a tick right after the earliest moment (server time) at which another member's
   * heartbeat or lease, as read now, lapses: a dead member's partitions are taken about leaseMs
   * after its last renewal, not up to a whole tick period later. A member that renews in time
   * moves the moment on at the next tick, which reschedules.
   */
  private scheduleExpiryTick(entries: readonly KvEntry[]): void {
    clearTimeout(this.expiryTimer);
    const clock = this.clock;
    if (clock === undefined || this.state !== "running") return;
    const serverNow = clock.server + (performance.now() - clock.local);
    let soonest = Infinity;
    for (const e of entries) {
      if (e.key === `${MEMBER_PREFIX}${this.memberId}`) continue;
      if (!e.key.startsWith(MEMBER_PREFIX) && !e.key.startsWith(LEASE_PREFIX)) continue;
      const left = e.timestamp + this.leaseMs - serverNow;
      if (left >= 0 && left < soonest) soonest = left;
    }
    if (soonest === Infinity || soonest > this.leaseMs) return;
    this.expiryTimer = setTimeout(() => this.scheduleTick(), Math.ceil(soonest) + EXPIRY_SLACK_MS).unref();
  }

  /** The margin by which a member gives up its own lease before anyone else may take it. */
  private get margin(): number {
    return this.leaseMs / 10;
  }

  /** Drops the leases not renewed for leaseMs − margin (local clock): the server may give them away. */
  private dropLapsed(): void {
    if (this.state === "left") return;
    const now = performance.now();
    const lapsed = [...this.held].filter(([, h]) => now - h.since >= this.leaseMs - this.margin).map(([p]) => p);
    this.change([], lapsed);
  }

  private change(gained: number[], lost: number[]): void {
    if (gained.length === 0 && lost.length === 0) return;
    for (const p of lost) this.held.delete(p);
    const change = { gained: [...gained].sort((a, b) => a - b), lost: [...lost].sort((a, b) => a - b) };
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Live members (sorted) and the holders of fresh leases, as seen from `entries`. When they were
   * read right after this member's heartbeat (sent at local time `heartbeatSent`), that
   * heartbeat's server timestamp resets the estimate of the server's clock.
   */
  private view(entries: readonly KvEntry[], heartbeatSent?: number): GroupView {
    const mine = entries.find((e) => e.key === `${MEMBER_PREFIX}${this.memberId}`);
    if (heartbeatSent !== undefined && mine !== undefined) this.clock = { server: mine.timestamp, local: heartbeatSent };
    const serverNow = this.clock === undefined ? Date.now() : this.clock.server + (performance.now() - this.clock.local);
    return groupView(entries, { group: this.group, partitions: this.meta.partitions, leaseMs: this.leaseMs, serverNow });
  }

  /**
   * One round: heartbeat, read the bucket, give up what is no longer this member's share, renew
   * what is, take what is free. Errors leave the state as it is (the next tick retries; the lapse
   * timer drops leases that could not be renewed).
   */
  private async tick(): Promise<void> {
    const active = (): boolean => this.state === "running" && this.leaving === undefined;
    const sent = performance.now();
    await this.bucket.put(`${MEMBER_PREFIX}${this.memberId}`, encodeValue({ member: this.memberId }));
    const entries = await this.bucket.entries();
    if (!active()) return;
    const { live, leases, holders } = this.view(entries, sent);
    this.scheduleExpiryTick(entries);
    if (!live.includes(this.memberId)) live.push(this.memberId);
    live.sort();

    // Leases whose entry changed behind our back were taken (or released by lost()).
    this.change([], [...this.held].filter(([p, h]) => leases.get(p)?.revision !== h.revision).map(([p]) => p));
    for (const p of this.held.keys()) holders.set(p, this.memberId);
    const target = new Set(assignPartitions(live, this.meta.partitions, holders).get(this.memberId));

    const release = [...this.held].filter(([p]) => !target.has(p));
    const renew = [...this.held].filter(([p]) => target.has(p));
    const take = [...target].filter((p) => !this.held.has(p) && (holders.get(p) === undefined || leases.get(p)?.member === this.memberId));

    // Give up first (so the new owner can take at once), then renew and take together.
    if (release.length > 0) {
      this.change([], release.map(([p]) => p));
      await Promise.all(release.map(([p, h]) => this.release(p, h)));
    }
    const renewed = await Promise.allSettled(
      renew.map(async ([p, h]) => ({ p, h, revision: await this.bucket.update(`${LEASE_PREFIX}${p}`, encodeValue({ member: this.memberId, epoch: h.epoch }), h.revision) })),
    );
    const took = await Promise.allSettled(
      take.map(async (p) => {
        const old = leases.get(p);
        const epoch = (old?.epoch ?? 0) + 1;
        const value = encodeValue({ member: this.memberId, epoch });
        const revision = old === undefined ? await this.bucket.create(`${LEASE_PREFIX}${p}`, value) : await this.bucket.update(`${LEASE_PREFIX}${p}`, value, old.revision);
        return { p, epoch, revision };
      }),
    );
    // Recorded even when paused or leaving meanwhile, so that leave() releases what was taken.
    const lostNow: number[] = [];
    for (const r of renewed) {
      if (r.status === "rejected") {
        this.lastError = r.reason;
        continue;
      }
      const { p, h, revision } = r.value;
      if (this.held.get(p) !== h) continue; // dropped meanwhile (lapsed or lost())
      if (revision === undefined) lostNow.push(p);
      else this.held.set(p, { revision, epoch: h.epoch, since: sent });
    }
    const gained: number[] = [];
    for (const r of took) {
      if (r.status === "rejected") {
        this.lastError = r.reason;
        continue;
      }
      const { p, epoch, revision } = r.value;
      if (revision === undefined || this.held.has(p)) continue;
      this.held.set(p, { revision, epoch, since: sent });
      gained.push(p);
    }
    this.change(gained, lostNow);
    // A renewal that came back after the lease had lapsed locally must not count.
    this.dropLapsed();
  }

  /** Frees lease p if it is still at the revision this member wrote (a failed compare-and-set: not ours). */
  private async release(p: number, h: Held): Promise<void> {
    await this.bucket.update(`${LEASE_PREFIX}${p}`, encodeValue({ member: "", epoch: h.epoch }), h.revision);
  }

  private async doLeave(): Promise<void> {
    this.state = "left";
    this.stopTimers();
    await this.ticking;
    const held = [...this.held];
    this.change([], held.map(([p]) => p));
    try {
      await Promise.all(held.map(([p, h]) => this.release(p, h).catch(() => undefined)));
      await this.bucket.delete(`${MEMBER_PREFIX}${this.memberId}`).catch(() => false);
    } finally {
      await this.client.release();
    }
  }
}
