/**
 * The per-partition log of a group on JetStream (DESIGN.md §10): plans and commits of partition p
 * on `dstream.group.<name>.log.<p>`, snapshots on `…snap.<p>`, chunks of large values on
 * `…chunk.<p>`, and p's input positions as of its last snapshot on `…pos.<p>` (the last one
 * kept), all in the stream `DSTREAM_GROUP_<name>_LOG`.
 *
 * Fencing: this instance remembers the last sequence it read or wrote on p's log subject and
 * publishes with Nats-Expected-Last-Subject-Sequence = that sequence, so once another member has
 * written p (it took p over), every append of this one fails with GROUP_FENCED. Snapshots are
 * fenced the same way on their own subject.
 *
 * Retention (a tested invariant, as §5): after a snapshot, the log keeps only what the newest
 * `retainSnapshots` snapshots need: the entries after the oldest kept snapshot's commit (and that
 * commit, which keeps the subject's last sequence where the fence expects it), the chunks above it (every chunk an entry or snapshot names lies above the entry before it, see
 * chunks.ts) and those snapshots. The previous snapshot is kept so that a member that read it an
 * instant before (while taking p over) still finds the entries after it.
 */
import { ErrorCodes, StorageError, StreamingError } from "../../errors.js";
import type { JetStreamClient, RawMessage } from "../sources/jetstream/jetstream-client.js";
import type { Time } from "../time.js";
import { decodeChunked, encodeChunked, messageLimit } from "./chunks.js";
import { decodeValue, encodeValue } from "../../storage/codec.js";
import type { LogEntry, PartitionHistory, PartitionLog } from "./contracts.js";

/** Options of {@link partitionLog}. */
export interface PartitionLogOptions {
  group: string;
  partitions: number;
  /** Snapshots kept per partition (with the entries after the oldest of them); default 2. */
  retainSnapshots?: number;
  /** Values larger than this go as chunks; default the server's max payload minus headroom (tests lower it). */
  maxMessageBytes?: number;
}

/** Header of a snapshot: the log sequence of the commit it covers. */
const COVERS_HEADER = "Dstream-Covers";
/** Header of a snapshot: the covered sequences of the snapshots kept with it, oldest first, its own last. */
const RETAINED_HEADER = "Dstream-Retained";
/** Reads of a partition raced by a purge (another member's retention) are retried this often. */
const OPEN_ATTEMPTS = 3;

export const GROUP_NAME = /^[A-Za-z0-9_-]+$/;

/** What this instance knows of a partition it opened. */
interface Held {
  /** Last sequence on p's log subject this instance read or wrote (0: none). */
  fence: number;
  /** Last sequence on p's snapshot subject (0: none). */
  snapFence: number;
  /** An append or snapshot found another writer: nothing more through this instance until reopened. */
  fenced: boolean;
  /** Log sequences of the commits after the newest snapshot, by batch time. */
  commits: Map<Time, number>;
  /** Covered sequences of the kept snapshots, oldest first. */
  retained: number[];
  /** Calls on p run one after the other (an append must see the fence the previous one left). */
  tail: Promise<unknown>;
}

/** The partition log of `options.group`; see the module comment. */
export function partitionLog(client: JetStreamClient, options: PartitionLogOptions): PartitionLog {
  return new JetStreamPartitionLog(client, options);
}

class JetStreamPartitionLog implements PartitionLog {
  private readonly group: string;
  private readonly partitions: number;
  private readonly retain: number;
  private readonly stream: string;
  private readonly held = new Map<number, Held>();
  private limit: Promise<number> | undefined;

  constructor(
    private readonly client: JetStreamClient,
    private readonly options: PartitionLogOptions,
  ) {
    const where = "partitionLog(client, options)";
    checkGroupOptions(options, where);
    const retain = options.retainSnapshots ?? 2;
    if (!Number.isInteger(retain) || retain < 1) throw new RangeError(`${where}: retainSnapshots must be a whole number ≥ 1; got ${String(options.retainSnapshots)}`);
    this.group = options.group;
    this.partitions = options.partitions;
    this.retain = retain;
    this.stream = partitionLogStream(options.group);
  }

  private subject(kind: "log" | "chunk" | "snap" | "pos", p: number): string {
    return partitionLogSubject(this.group, kind, p);
  }

  private maxBytes(): Promise<number> {
    return (this.limit ??= messageLimit(this.client, this.options.maxMessageBytes, `partitionLog(${this.group})`));
  }

  async ensure(): Promise<void> {
    await this.client.ensureStream({
      name: this.stream,
      subjects: (["log", "chunk", "snap", "pos"] as const).map((k) => `dstream.group.${this.group}.${k}.*`),
      storage: "file",
      allowDirect: true,
    });
  }

  async lastEntry(p: number): Promise<LogEntry | undefined> {
    this.checkPartition(p, "lastEntry");
    const last = await this.client.directGetLast(this.stream, this.subject("log", p));
    if (last === undefined) return undefined;
    return (await decodeChunked(this.client, this.stream, this.subject("chunk", p), last, this.what(p, `entry at stream sequence ${last.seq}`))) as LogEntry;
  }

  async recordPositions(p: number, positions: Record<number, number>): Promise<void> {
    this.checkPartition(p, "recordPositions");
    await this.client.publish(this.subject("pos", p), encodeValue(positions));
    await this.client.purgeSubjectKeeping(this.stream, this.subject("pos", p), 1);
  }

  async positions(p: number): Promise<Record<number, number> | undefined> {
    this.checkPartition(p, "positions");
    const m = await this.client.directGetLast(this.stream, this.subject("pos", p));
    if (m === undefined) return undefined;
    const value = decodeValue(this.what(p, `positions at stream sequence ${m.seq}`), m.data);
    if (value === null || typeof value !== "object" || !Object.values(value).every((v) => Number.isSafeInteger(v))) {
      throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `${this.what(p, `positions at stream sequence ${m.seq}`)} are not a map of stream sequences; something other than dstream wrote ${m.subject}`, { key: m.subject });
    }
    return value as Record<number, number>;
  }

  async open(p: number): Promise<PartitionHistory> {
    this.checkPartition(p, "open");
    this.held.delete(p);
    for (let attempt = 1; ; attempt++) {
      const read = await this.read(p);
      if (read !== undefined) {
        this.held.set(p, read.held);
        return read.history;
      }
      if (attempt === OPEN_ATTEMPTS) {
        throw new StorageError(
          ErrorCodes.STORAGE_CORRUPT,
          `partition log of group "${this.group}", partition ${p}: newer snapshots (and their purges) kept replacing what was being read (${OPEN_ATTEMPTS} attempts). ` +
            "Another member is writing and purging this partition: check that only one group member holds its lease, or that nothing else purges stream " +
            `"${this.stream}".`,
          { key: this.subject("log", p) },
        );
      }
    }
  }

  /** One read of p; undefined when entries vanished under it (a concurrent purge). */
  private async read(p: number): Promise<{ held: Held; history: PartitionHistory } | undefined> {
    const snapMsg = await this.client.directGetLast(this.stream, this.subject("snap", p));
    let covers = 0;
    let retained: number[] = [];
    let snapshot: PartitionHistory["snapshot"];
    if (snapMsg !== undefined) {
      covers = Number(snapMsg.headers?.[COVERS_HEADER]);
      retained = (snapMsg.headers?.[RETAINED_HEADER] ?? "").split(",").map(Number);
      const value = (await decodeChunked(this.client, this.stream, this.subject("chunk", p), snapMsg, this.what(p, `snapshot at stream sequence ${snapMsg.seq}`))) as PartitionHistory["snapshot"];
      if (!Number.isSafeInteger(covers) || covers < 1 || !retained.every((s) => Number.isSafeInteger(s)) || retained.at(-1) !== covers || typeof value?.time !== "number") {
        throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `${this.what(p, `snapshot at stream sequence ${snapMsg.seq}`)} has no valid ${COVERS_HEADER}/${RETAINED_HEADER} headers or time; it was not written by this dstream. Remove it or start the group afresh.`, { key: this.subject("snap", p) });
      }
      snapshot = { time: value.time, states: value.states };
    }
    const fence = (await this.client.directGetLast(this.stream, this.subject("log", p)))?.seq ?? 0;
    let messages: RawMessage[] = [];
    if (fence > covers) {
      const range = await this.client.readRange(this.stream, this.subject("log", p), covers, fence);
      messages = range.messages;
      if (messages.at(-1)?.seq !== fence) return undefined;
    }
    const entries = await Promise.all(messages.map(async (m) => (await decodeChunked(this.client, this.stream, this.subject("chunk", p), m, this.what(p, `entry at stream sequence ${m.seq}`))) as LogEntry));
    // A newer snapshot written meanwhile may have purged entries in the middle of what was read
    // (retention follows each snapshot); with the same newest snapshot, nothing read was purged.
    if ((await this.client.directGetLast(this.stream, this.subject("snap", p)))?.seq !== snapMsg?.seq) return undefined;
    const commits = new Map<Time, number>();
    entries.forEach((e, i) => {
      if (e.kind === "commit") commits.set(e.time, messages[i]!.seq);
    });
    const history: PartitionHistory = snapshot === undefined ? { partition: p, entries } : { partition: p, snapshot, entries };
    return { held: { fence, snapFence: snapMsg?.seq ?? 0, fenced: false, commits, retained, tail: Promise.resolve() }, history };
  }

  append(p: number, entry: LogEntry): Promise<void> {
    this.checkPartition(p, "append");
    if (typeof entry !== "object" || entry === null || (entry.kind !== "plan" && entry.kind !== "commit") || !Number.isSafeInteger(entry.time)) {
      throw new TypeError(`partitionLog(${this.group}).append(${p}, entry): entry must be { kind: "plan" | "commit", time: <integer ms>, ... }; got ${String((entry as { kind?: unknown })?.kind)} at ${String((entry as { time?: unknown })?.time)}`);
    }
    const held = this.opened(p, "append");
    return this.serialized(held, async () => {
      if (held.fenced) throw this.fenced(p, entry.time, entry.kind);
      const limit = await this.maxBytes();
      const { data, headers } = await encodeChunked(this.client, entry, { stream: this.stream, subject: this.subject("chunk", p), msgIdPrefix: `${p}:${entry.kind}:${entry.time}`, limit, minSeq: held.fence });
      const ack = await this.client.publishIfLast(this.subject("log", p), data, held.fence, headers === undefined ? {} : { headers });
      if (ack === undefined) {
        held.fenced = true;
        throw this.fenced(p, entry.time, entry.kind);
      }
      held.fence = ack.seq;
      if (entry.kind === "commit") held.commits.set(entry.time, ack.seq);
    });
  }

  snapshot(p: number, time: Time, states: Record<string, unknown>): Promise<void> {
    this.checkPartition(p, "snapshot");
    const held = this.opened(p, "snapshot");
    return this.serialized(held, async () => {
      if (held.fenced) throw this.fenced(p, time, "snapshot");
      const covers = held.commits.get(time);
      if (covers === undefined) {
        throw new RangeError(`partitionLog(${this.group}).snapshot(${p}, ${time}): no commit at time ${time} was appended or read since partition ${p}'s newest snapshot; snapshot a batch after committing it`);
      }
      // The snapshot subject's fence does not see appends: a member that lost p must not snapshot
      // over the new owner's log either (it would then be fenced on its own snapshot).
      const last = await this.client.directGetLast(this.stream, this.subject("log", p));
      if ((last?.seq ?? 0) !== held.fence) {
        held.fenced = true;
        throw this.fenced(p, time, "snapshot");
      }
      const retained = [...held.retained, covers].slice(-this.retain);
      const limit = await this.maxBytes();
      const { data, headers } = await encodeChunked(this.client, { time, states }, { stream: this.stream, subject: this.subject("chunk", p), msgIdPrefix: `${p}:snap:${time}`, limit, minSeq: held.fence });
      const ack = await this.client.publishIfLast(this.subject("snap", p), data, held.snapFence, { headers: { ...headers, [COVERS_HEADER]: String(covers), [RETAINED_HEADER]: retained.join(",") } });
      if (ack === undefined) {
        held.fenced = true;
        throw this.fenced(p, time, "snapshot");
      }
      held.snapFence = ack.seq;
      held.retained = retained;
      for (const [t, seq] of held.commits) if (seq <= covers) held.commits.delete(t);
      await this.purge(p, retained[0]!, retained.length);
    });
  }

  /**
   * Removes what the kept snapshots do not need: p's log entries before the oldest kept snapshot's
   * commit, chunks up to it (orphans of a writer that died included), and older snapshots.
   */
  private async purge(p: number, floor: number, keepSnapshots: number): Promise<void> {
    await this.client.purgeSubjectKeeping(this.stream, this.subject("snap", p), keepSnapshots);
    // The commit at `floor` itself stays: the server's fence is the subject's last message, and
    // with no message left it would read 0 where this instance expects that commit's sequence.
    await this.client.purgeSubjectBelow(this.stream, this.subject("log", p), floor);
    await this.client.purgeSubjectBelow(this.stream, this.subject("chunk", p), floor + 1);
  }

  close(p: number): void {
    this.held.delete(p);
  }

  private serialized(held: Held, run: () => Promise<void>): Promise<void> {
    const result = held.tail.then(run);
    held.tail = result.catch(() => undefined);
    return result;
  }

  private opened(p: number, method: string): Held {
    const held = this.held.get(p);
    if (held === undefined) throw new TypeError(`partitionLog(${this.group}).${method}(${p}): partition ${p} is not open in this instance; call open(${p}) first (after taking its lease)`);
    return held;
  }

  private checkPartition(p: number, method: string): void {
    if (!Number.isInteger(p) || p < 0 || p >= this.partitions) {
      throw new RangeError(`partitionLog(${this.group}).${method}(p): p must be a partition 0..${this.partitions - 1}; got ${String(p)}`);
    }
  }

  private what(p: number, item: string): string {
    return `partition log of group "${this.group}", partition ${p}: ${item}`;
  }

  private fenced(p: number, time: Time, kind: string): StreamingError {
    return new StreamingError(
      ErrorCodes.GROUP_FENCED,
      `Group "${this.group}", partition ${p}: cannot write the ${kind} of batch ${time}: another member wrote the partition since this member read it, so this member lost it. ` +
        "Give its lease up and reopen the partition (open(p)) if it is assigned here again.",
    );
  }
}

/** The stream holding the partition logs of group `group`. */
export function partitionLogStream(group: string): string {
  return `DSTREAM_GROUP_${group}_LOG`;
}

/** The subject of partition p's log entries, chunks or snapshots (`"*"`: every partition's). */
export function partitionLogSubject(group: string, kind: "log" | "chunk" | "snap" | "pos", p: number | "*"): string {
  return `dstream.group.${group}.${kind}.${p}`;
}

/** Where partition p's log stands, for tools; see {@link readPartitionProgress}. */
export interface PartitionProgress {
  partition: number;
  /** The newest commit: its batch time, the member that wrote it, and when the server stored it. */
  lastCommit: { time: Time; member: string; storedAt: number } | undefined;
  /** A plan recorded after the newest commit: that batch is under way (or its member died in it). */
  pendingPlan: { time: Time; storedAt: number } | undefined;
  /** The newest snapshot: the batch time of the commit it covers, and when the server stored it. */
  snapshot: { time: Time; storedAt: number } | undefined;
}

/**
 * Partition p's newest commit, pending plan and newest snapshot, read without opening p (no
 * fence is taken, nothing is written). Between batches the newest entry is a commit: then three
 * direct gets (the snapshot, the newest entry, the snapshot's commit) answer; a newest entry that
 * is a plan reads the entries from the snapshot's commit on. Retried when a member's retention
 * purged what was being read.
 */
export async function readPartitionProgress(client: JetStreamClient, group: string, p: number): Promise<PartitionProgress> {
  const stream = partitionLogStream(group);
  const logSubject = partitionLogSubject(group, "log", p);
  const what = (item: string): string => `partition log of group "${group}", partition ${p}: ${item}`;
  const decoded = new Map<number, LogEntry>();
  const decode = async (m: RawMessage): Promise<LogEntry> => {
    let entry = decoded.get(m.seq);
    if (entry === undefined) decoded.set(m.seq, (entry = (await decodeChunked(client, stream, partitionLogSubject(group, "chunk", p), m, what(`entry at stream sequence ${m.seq}`))) as LogEntry));
    return entry;
  };
  let covers = 0;
  let fence = 0;
  /** One read; undefined when entries vanished under it (a concurrent purge). */
  const readOnce = async (): Promise<PartitionProgress | undefined> => {
    const snap = await client.directGetLast(stream, partitionLogSubject(group, "snap", p));
    covers = snap === undefined ? 0 : Number(snap.headers?.[COVERS_HEADER]);
    if (!Number.isSafeInteger(covers) || covers < 0) {
      throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `${what(`snapshot at stream sequence ${snap?.seq}`)} has no valid ${COVERS_HEADER} header; it was not written by this dstream. Remove it or start the group afresh.`, { key: partitionLogSubject(group, "snap", p) });
    }
    const last = await client.directGetLast(stream, logSubject);
    fence = last?.seq ?? 0;
    let messages: RawMessage[] = [];
    if (last !== undefined && (await decode(last)).kind === "commit") {
      messages = [last];
      const covered = covers === 0 || covers === fence ? undefined : await client.directGet(stream, covers);
      if (covered?.subject === logSubject) messages.unshift(covered);
    } else if (last !== undefined) {
      messages = (await client.readRange(stream, logSubject, Math.max(0, covers - 1), fence)).messages;
    }
    const complete = messages.at(-1)?.seq === last?.seq && (covers === 0 || messages[0]?.seq === covers);
    if (complete) {
      const out: PartitionProgress = { partition: p, lastCommit: undefined, pendingPlan: undefined, snapshot: undefined };
      for (let i = messages.length - 1; i >= 0 && out.lastCommit === undefined; i--) {
        const m = messages[i] as RawMessage;
        const entry = await decode(m);
        if (entry.kind === "commit") out.lastCommit = { time: entry.time, member: entry.member, storedAt: m.timestamp };
        else out.pendingPlan ??= { time: entry.time, storedAt: m.timestamp };
      }
      if (snap !== undefined) out.snapshot = { time: (await decode(messages[0] as RawMessage)).time, storedAt: snap.timestamp };
      return out;
    }
    return undefined;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const progress = await readOnce();
      if (progress !== undefined) return progress;
    } catch (err) {
      // A chunk that a member's retention purged under the read reads as damage: read again.
      if (!StreamingError.is(err, ErrorCodes.STORAGE_CORRUPT) || attempt === OPEN_ATTEMPTS) throw err;
      continue;
    }
    if (attempt === OPEN_ATTEMPTS) {
      throw new StorageError(
        ErrorCodes.STORAGE_CORRUPT,
        `${what("")}the entries from the newest snapshot's commit (sequence ${covers}) to the newest entry (${fence}) are not all in stream "${stream}" (${OPEN_ATTEMPTS} reads). ` +
          "A member's retention kept purging under the read, or the stream was changed outside dstream; read again, and if it persists the partition cannot be restored from the stream.",
        { key: logSubject },
      );
    }
  }
}

/** Checks the options every group piece takes: group name and partition count. */
export function checkGroupOptions(options: { group: unknown; partitions: unknown }, where: string): void {
  if (typeof options?.group !== "string" || !GROUP_NAME.test(options.group)) {
    throw new TypeError(`${where}: group must be a name of letters, digits, "_" and "-" (it names JetStream streams); got ${JSON.stringify(options?.group)}`);
  }
  if (!Number.isInteger(options.partitions) || (options.partitions as number) < 1) {
    throw new RangeError(`${where}: partitions must be a whole number ≥ 1; got ${String(options.partitions)}`);
  }
}
