/**
 * The one place dstream talks to NATS (the `nats` package, 2.29): a small, typed surface over a
 * shared connection that the JetStream source, the JetStream sink and (later) groups use. Every
 * call maps NATS failures to coded errors (`SOURCE_UNAVAILABLE`), so callers never see the
 * client's own error types.
 *
 * Server features relied on (checked against nats-server 2.9.10): stream info; ephemeral pull
 * consumers with one `filter_subject`, `deliver_policy: by_start_sequence`, `ack_policy: none`
 * and `mem_storage` (2.9), pulled with `no_wait` (answered by the messages held, then 408, or
 * 404 when none; a consumer that is gone does not answer); publish with `Nats-Msg-Id` deduplication (2.2) and
 * `Nats-Expected-Last-Subject-Sequence` (2.3.1); KV buckets (2.6.2), without per-key TTL (2.11).
 */
import { AckPolicy, DeliverPolicy, connect, createInbox, headers as natsHeaders, nanos, type JetStreamClient as NatsJs, type ConsumerConfig, type JetStreamManager, type KV, type NatsConnection, type StoredMsg, type StreamConfig, type StreamInfo } from "nats";
import { ErrorCodes, StreamingError } from "../../../errors.js";

/** A stream's sequence bounds and deduplication window. */
export interface StreamState {
  /** Oldest sequence the stream still holds (last + 1 when it holds none). */
  firstSeq: number;
  /** Newest sequence stored (0 for a stream that never held a message). */
  lastSeq: number;
  /** `duplicate_window` in milliseconds. */
  duplicateWindowMs: number;
  subjects: string[];
}

/** One stored message as read back. */
export interface RawMessage {
  subject: string;
  seq: number;
  data: Uint8Array;
  /** The stream's receive time, ms. */
  timestamp: number;
  headers: Record<string, string> | undefined;
}

/** Options of {@link JetStreamClient.publish}. */
export interface PublishOptions {
  /** `Nats-Msg-Id`: the stream drops a second message with this id within its duplicate window. */
  msgId?: string;
  /** The publish fails unless the subject's last message has this stream sequence (0: none). */
  expectedLastSubjectSequence?: number;
  headers?: Record<string, string>;
}

/** What the server answered to a publish. */
export interface PublishAck {
  seq: number;
  /** True when the message was dropped as a duplicate of an earlier `msgId`. */
  duplicate: boolean;
}

/** Messages fetched per pull request when reading a range. */
const FETCH_CHUNK = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Publishes awaiting their acknowledgement at a time in {@link JetStreamClient.publishMany}. */
const PUBLISH_WINDOW = 1024;

interface Shared {
  key: string;
  refs: number;
  conn: Promise<{ nc: NatsConnection; js: NatsJs; jsm: JetStreamManager }>;
  reconnects: Reconnects;
}

/** A request abandoned because the connection reconnected while it waited (see {@link Reconnects.answered}). */
class ReconnectedError extends Error {
  constructor() {
    super("the connection to NATS dropped and reconnected before the answer came (a NATS restart?)");
  }
}

/**
 * Counts the connection's reconnections and tells the readers waiting on it. A consumer may be gone
 * after one (a restarted 2.9 server keeps no ephemeral consumer), and a pull from a consumer that is
 * gone gets no answer at all: a reader opened before the reconnection gives up at once instead of
 * after the request timeout.
 */
class Reconnects {
  count = 0;
  readonly waiting = new Set<() => void>();

  async follow(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type !== "reconnect") continue;
      this.count++;
      for (const wake of [...this.waiting]) wake();
    }
  }

  /**
   * `request`'s answer, or a rejection as soon as the connection reconnects while it is pending: a
   * request in flight when the connection dropped is never answered, and would otherwise hold its
   * caller for the whole request timeout. Like a timeout, the rejection leaves it unknown whether
   * the request took effect; callers treat both alike (retries are idempotent or fenced).
   */
  answered<T>(request: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const lost = (): void => reject(new ReconnectedError());
      this.waiting.add(lost);
      request.then(
        (v) => {
          this.waiting.delete(lost);
          resolve(v);
        },
        (err: unknown) => {
          this.waiting.delete(lost);
          reject(err);
        },
      );
    });
  }
}
const shared = new Map<string, Shared>();

/** `servers` as a list, validated. */
export function serverList(servers: unknown, where: string): string[] {
  const list = typeof servers === "string" ? [servers] : servers;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && s.length > 0)) {
    throw new TypeError(`${where}: servers must be a URL or a non-empty array of URLs such as "nats://127.0.0.1:4222"; got ${JSON.stringify(servers)}`);
  }
  return list as string[];
}

/**
 * A reference to a shared NATS connection: every `JetStreamClient.open` of the same servers in a
 * process shares one connection, closed when the last reference is released.
 */
export class JetStreamClient {
  private released = false;

  private constructor(
    private readonly entry: Shared,
    readonly servers: readonly string[],
  ) {}

  /** A reference to the connection to `servers` (connecting lazily, on first use). */
  static open(servers: readonly string[]): JetStreamClient {
    const key = servers.join(",");
    let entry = shared.get(key);
    if (entry === undefined) {
      const reconnects = new Reconnects();
      const conn = (async () => {
        const nc = await connect({ servers: [...servers], maxReconnectAttempts: -1, reconnectTimeWait: 250, name: "dstream" });
        void reconnects.follow(nc).catch(() => undefined);
        return { nc, js: nc.jetstream({ timeout: REQUEST_TIMEOUT_MS }), jsm: await nc.jetstreamManager({ timeout: REQUEST_TIMEOUT_MS }) };
      })();
      entry = { key, refs: 0, conn, reconnects };
      // An unused failed connection must not surface as an unhandled rejection.
      conn.catch(() => undefined);
      shared.set(key, entry);
    }
    entry.refs++;
    return new JetStreamClient(entry, servers);
  }

  private async conn(what: string): Promise<{ nc: NatsConnection; js: NatsJs; jsm: JetStreamManager }> {
    if (this.released) throw new TypeError(`JetStreamClient used after release (${what})`);
    try {
      return await this.entry.conn;
    } catch (err) {
      // Drop the failed connection so that the next user (a restarted job) tries again.
      if (shared.get(this.entry.key) === this.entry) shared.delete(this.entry.key);
      throw unavailable(`cannot connect to NATS at ${this.servers.join(", ")} (${what})`, err, "; is nats-server running there, with JetStream enabled (-js)? Check the servers option");
    }
  }

  /** See {@link Reconnects.answered}. */
  private answered<T>(request: Promise<T>): Promise<T> {
    return this.entry.reconnects.answered(request);
  }

  /** How often the shared connection has reconnected since it opened. */
  get reconnections(): number {
    return this.entry.reconnects.count;
  }

  /** Largest payload the server accepts, in bytes. */
  async maxPayload(): Promise<number> {
    const { nc } = await this.conn("max payload");
    return nc.info?.max_payload ?? 1024 * 1024;
  }

  /** The stream's bounds; `SOURCE_UNAVAILABLE` naming the stream when it does not exist. */
  async streamState(stream: string): Promise<StreamState> {
    const { jsm } = await this.conn(`stream ${stream}`);
    try {
      const info = await this.answered(jsm.streams.info(stream));
      return {
        firstSeq: info.state.first_seq,
        lastSeq: info.state.last_seq,
        duplicateWindowMs: Math.floor((info.config.duplicate_window ?? 0) / 1e6),
        subjects: info.config.subjects ?? [],
      };
    } catch (err) {
      throw unavailable(`cannot read JetStream stream "${stream}"${err instanceof ReconnectedError ? "" : " (does it exist? create it first, e.g. with jsm.streams.add)"}`, err);
    }
  }

  /** The name of the stream that stores `subject`, or undefined when none does. */
  async streamOf(subject: string): Promise<string | undefined> {
    const { jsm } = await this.conn(`stream of ${subject}`);
    try {
      return await this.answered(jsm.streams.find(subject));
    } catch (err) {
      if (/no stream matches subject/i.test(String((err as Error)?.message))) return undefined;
      throw unavailable(`cannot look up the stream of subject "${subject}"`, err);
    }
  }

  /**
   * The messages on `subject` with `afterSeq < seq <= upToSeq`, in sequence order, at most
   * `maxCount` of them: one ephemeral pull consumer filtered on `subject` from `afterSeq + 1`.
   * `pending` is how many messages on `subject` the stream held from `afterSeq + 1` on when the
   * read began (beyond `upToSeq` too), for lag reports.
   */
  async readRange(stream: string, subject: string, afterSeq: number, upToSeq: number, maxCount = Infinity): Promise<{ messages: RawMessage[]; pending: number }> {
    const out: RawMessage[] = [];
    if (upToSeq <= afterSeq || maxCount <= 0) return { messages: out, pending: 0 };
    const { js, jsm } = await this.conn(`read ${subject}`);
    let name: string | undefined;
    try {
      const info = await this.answered(jsm.consumers.add(stream, readConsumer(subject, afterSeq, 60_000)));
      name = info.name;
      const pending = info.num_pending;
      let want = Math.min(pending, maxCount);
      reading: while (want > 0) {
        // The plain pull API: no consumer info round trip per read (consumers.get has one). The
        // `want` messages exist, so the pull completes as they arrive; `expires` only bounds a
        // read whose messages were removed meanwhile. (no_wait answered ~5x slower on 2.9.10.)
        const batch = js.fetch(stream, info.name, { batch: Math.min(want, FETCH_CHUNK), expires: REQUEST_TIMEOUT_MS });
        let got = 0;
        for await (const m of batch) {
          got++;
          if (m.seq > upToSeq) {
            batch.stop();
            break reading;
          }
          out.push({ subject: m.subject, seq: m.seq, data: m.data, timestamp: Math.floor(m.info.timestampNanos / 1e6), headers: headersOf(m.headers) });
          want--;
        }
        // The messages were counted as pending when the consumer was made: none arriving means
        // they were removed meanwhile (retention); the caller compares counts.
        if (got === 0) break;
      }
      return { messages: out, pending };
    } catch (err) {
      throw unavailable(`cannot read ${subject} from JetStream stream "${stream}" after sequence ${afterSeq}`, err);
    } finally {
      // Not awaited: the read is done, and a consumer whose delete is lost expires by inactive_threshold.
      if (name !== undefined) void jsm.consumers.delete(stream, name).catch(() => undefined);
    }
  }

  /** How many messages on `subject` the stream holds after `afterSeq` (a consumer's pending count; reads none). */
  async countAfter(stream: string, subject: string, afterSeq: number): Promise<number> {
    const { jsm } = await this.conn(`count ${subject}`);
    let name: string | undefined;
    try {
      const info = await this.answered(jsm.consumers.add(stream, readConsumer(subject, afterSeq, 60_000)));
      name = info.name;
      return info.num_pending;
    } catch (err) {
      throw unavailable(`cannot count the messages on ${subject} in JetStream stream "${stream}"`, err);
    } finally {
      if (name !== undefined) await jsm.consumers.delete(stream, name).catch(() => undefined);
    }
  }

  /** Publishes one message and waits for the stream's acknowledgement. */
  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PublishAck> {
    const { js } = await this.conn(`publish ${subject}`);
    const opts: Parameters<NatsJs["publish"]>[2] = {};
    if (options.msgId !== undefined) opts.msgID = options.msgId;
    if (options.expectedLastSubjectSequence !== undefined) opts.expect = { lastSubjectSequence: options.expectedLastSubjectSequence };
    if (options.headers !== undefined) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(options.headers)) h.set(k, v);
      opts.headers = h;
    }
    const ack = await this.answered(js.publish(subject, data, opts));
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /**
   * Creates a stream (or updates it to `config`); for examples, tests, tools and group streams.
   * `allowDirect` lets {@link directGetLast}/{@link directGet} read it; `maxAgeMs` expires messages.
   */
  async ensureStream(config: { name: string; subjects: string[]; duplicateWindowMs?: number; maxMsgs?: number; storage?: "file" | "memory"; allowDirect?: boolean; maxAgeMs?: number }): Promise<void> {
    const { jsm } = await this.conn(`create stream ${config.name}`);
    const cfg: Partial<StreamConfig> = { name: config.name, subjects: config.subjects };
    if (config.duplicateWindowMs !== undefined) cfg.duplicate_window = nanos(config.duplicateWindowMs);
    if (config.maxMsgs !== undefined) cfg.max_msgs = config.maxMsgs;
    if (config.storage === "memory") cfg.storage = "memory" as StreamConfig["storage"];
    if (config.allowDirect !== undefined) cfg.allow_direct = config.allowDirect;
    if (config.maxAgeMs !== undefined) cfg.max_age = nanos(config.maxAgeMs);
    try {
      await jsm.streams.add(cfg);
    } catch (err) {
      if (!/already in use/i.test(String((err as Error)?.message))) throw unavailable(`cannot create stream ${config.name}`, err);
      await jsm.streams.update(config.name, cfg);
    }
  }

  /** Deletes a stream; false when it did not exist. */
  async deleteStream(name: string): Promise<boolean> {
    const { jsm } = await this.conn(`delete stream ${name}`);
    return jsm.streams.delete(name).catch(() => false);
  }

  /** Every message of `subject` in the stream, in order (tests and tools; not for big streams). */
  async readAll(stream: string, subject: string): Promise<RawMessage[]> {
    return (await this.readRange(stream, subject, 0, Number.MAX_SAFE_INTEGER)).messages;
  }

  // ---- long-lived partition readers (lib/sources/jetstream/partition-range.ts, PartitionReaders) ----

  /**
   * A reader of `subject` from sequence `afterSeq + 1` on, kept across batches: one pull consumer
   * (no acks, in memory, filtered on the subject) that the server deletes after `idleMs` unused,
   * so that a process that died leaves none behind. Making it counts the subject's messages after
   * `afterSeq`, which on nats-server 2.9.10 scans the stream: the per-read consumer of
   * {@link readRange} pays that scan on every read, a reader once.
   */
  async openReader(stream: string, subject: string, afterSeq: number, idleMs: number): Promise<SubjectReader> {
    const { nc, jsm } = await this.conn(`read ${subject}`);
    try {
      const reconnectsBefore = this.entry.reconnects.count;
      const info = await this.answered(jsm.consumers.add(stream, readConsumer(subject, afterSeq, idleMs)));
      return new SubjectReader(nc, jsm, stream, subject, info.name, info.num_pending, this.entry.reconnects, reconnectsBefore);
    } catch (err) {
      throw unavailable(`cannot read ${subject} from JetStream stream "${stream}" after sequence ${afterSeq}`, err);
    }
  }

  /** The names of the consumers of `stream` (tests and tools: readers left behind). */
  async consumerNames(stream: string): Promise<string[]> {
    const { jsm } = await this.conn(`consumers of ${stream}`);
    try {
      return (await jsm.consumers.list(stream).next()).map((c) => c.name);
    } catch (err) {
      throw unavailable(`cannot list the consumers of JetStream stream "${stream}"`, err);
    }
  }

  // ---- group log and exchange (lib/group/partition-log.ts, lib/group/exchange.ts) ----

  /**
   * The newest message on `subject` (an exact subject), or undefined when the stream holds none:
   * one direct get, answered by any replica without a consumer (the stream needs `allowDirect`).
   */
  async directGetLast(stream: string, subject: string): Promise<RawMessage | undefined> {
    const { jsm } = await this.conn(`direct get last ${subject}`);
    return directMessage(() => this.answered(direct(jsm).getMessage(stream, { last_by_subj: subject })), `cannot read the last message on ${subject} from JetStream stream "${stream}" (was it created with allow_direct?)`);
  }

  /** The message with stream sequence `seq`, or undefined when the stream does not hold it (direct get). */
  async directGet(stream: string, seq: number): Promise<RawMessage | undefined> {
    const { jsm } = await this.conn(`direct get ${stream}#${seq}`);
    return directMessage(() => this.answered(direct(jsm).getMessage(stream, { seq })), `cannot read sequence ${seq} from JetStream stream "${stream}" (was it created with allow_direct?)`);
  }

  /**
   * Publishes only if `subject`'s last message has sequence `expectedLastSubjectSequence` (0: the
   * subject holds none). Returns the ack, or undefined when the server refused because the
   * subject has a newer message (someone else wrote it): the fence of a partition log.
   */
  async publishIfLast(subject: string, data: Uint8Array, expectedLastSubjectSequence: number, options: Omit<PublishOptions, "expectedLastSubjectSequence"> = {}): Promise<PublishAck | undefined> {
    try {
      return await this.publish(subject, data, { ...options, expectedLastSubjectSequence });
    } catch (err) {
      if (casFailed(err)) return undefined;
      throw unavailable(`cannot publish to ${subject}`, err);
    }
  }

  /**
   * Removes the messages on `subject` with a sequence below `keepFromSeq` (a purge filtered on the
   * subject); returns how many were removed.
   */
  async purgeSubjectBelow(stream: string, subject: string, keepFromSeq: number): Promise<number> {
    // The server reads a purge's `seq` of 1 (or 0) as "no bound" and removes every message on the
    // subject; below sequence 1 there is nothing to remove.
    if (keepFromSeq <= 1) return 0;
    const { jsm } = await this.conn(`purge ${subject}`);
    try {
      return (await this.answered(jsm.streams.purge(stream, { filter: subject, seq: keepFromSeq }))).purged;
    } catch (err) {
      throw unavailable(`cannot purge ${subject} below sequence ${keepFromSeq} in JetStream stream "${stream}"`, err);
    }
  }

  /** Keeps only the newest `keep` messages on `subject`; returns how many were removed. */
  async purgeSubjectKeeping(stream: string, subject: string, keep: number): Promise<number> {
    const { jsm } = await this.conn(`purge ${subject}`);
    try {
      return (await this.answered(jsm.streams.purge(stream, { filter: subject, keep }))).purged;
    } catch (err) {
      throw unavailable(`cannot purge ${subject} down to its last ${keep} messages in JetStream stream "${stream}"`, err);
    }
  }

  // ---- group receivers (lib/group/group-receiver.ts) ----

  /**
   * Publishes `messages` on `subject` in order, pipelined (at most `PUBLISH_WINDOW` awaiting their
   * acknowledgement at a time), and resolves once the stream acknowledged every one: how many it
   * stored and how many it dropped as duplicates of an earlier `msgId`. The first failure rejects,
   * after the publishes already sent have settled; some of the messages may then be stored (a
   * retry with the same ids stores the rest once).
   */
  async publishMany(subject: string, messages: readonly { data: Uint8Array; msgId?: string }[]): Promise<{ stored: number; duplicates: number }> {
    const { js } = await this.conn(`publish ${subject}`);
    const counts = { stored: 0, duplicates: 0 };
    let failure: unknown;
    const inflight = new Set<Promise<void>>();
    for (const m of messages) {
      if (failure !== undefined) break;
      const sent = this.answered(js.publish(subject, m.data, m.msgId === undefined ? {} : { msgID: m.msgId })).then(
        (ack) => void (ack.duplicate ? counts.duplicates++ : counts.stored++),
        (err: unknown) => void (failure ??= err),
      );
      inflight.add(sent);
      void sent.then(() => inflight.delete(sent));
      if (inflight.size >= PUBLISH_WINDOW) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw unavailable(`cannot publish to ${subject}`, failure);
    return counts;
  }

  // ---- KV for groups (lib/group/coordinator.ts) ----

  /**
   * The KV bucket `name`, created (history 1, file storage) when missing. Its calls time out after
   * `timeoutMs`, so that a caller on a timer (a group member renewing leases) is not held for the
   * client's default 10 s while the server is unreachable.
   */
  async kvBucket(name: string, options: { timeoutMs?: number } = {}): Promise<KvBucket> {
    const { nc } = await this.conn(`KV bucket ${name}`);
    const timeout = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    try {
      const js = nc.jetstream({ timeout });
      const jsm = await nc.jetstreamManager({ timeout });
      const kv = await js.views.kv(name, { history: 1, timeout });
      return new KvBucket(name, kv, jsm, this.entry.reconnects);
    } catch (err) {
      throw unavailable(`cannot open or create the JetStream KV bucket "${name}"`, err);
    }
  }

  /** Deletes a KV bucket (its stream); false when it did not exist. For tests and tools. */
  async deleteKvBucket(name: string): Promise<boolean> {
    return this.deleteStream(`KV_${name}`);
  }

  // ---- reading a group without joining it (bin/inspect-group.ts, lib/group/group-status.ts) ----

  /**
   * The KV bucket `name` when it exists, bound without creating or updating it (a tool that only
   * reads must not make a group appear); undefined when there is no such bucket.
   */
  async existingKvBucket(name: string): Promise<KvBucket | undefined> {
    const info = await this.streamInfoIfExists(`KV_${name}`);
    if (info === undefined) return undefined;
    const { nc } = await this.conn(`KV bucket ${name}`);
    try {
      const jsm = await nc.jetstreamManager({ timeout: REQUEST_TIMEOUT_MS });
      const kv = await nc.jetstream({ timeout: REQUEST_TIMEOUT_MS }).views.kv(name, { bindOnly: true, allow_direct: info.config.allow_direct === true });
      return new KvBucket(name, kv, jsm, this.entry.reconnects);
    } catch (err) {
      throw unavailable(`cannot open the JetStream KV bucket "${name}"`, err);
    }
  }

  /** True when stream `name` exists (one stream info). */
  async streamExists(name: string): Promise<boolean> {
    return (await this.streamInfoIfExists(name)) !== undefined;
  }

  /**
   * How many messages the stream holds per subject matching `filter` (a wildcard subject), e.g.
   * the entries a group's partition logs keep; one stream info.
   */
  async subjectCounts(stream: string, filter: string): Promise<Map<string, number>> {
    const { jsm } = await this.conn(`subjects of ${stream}`);
    try {
      const info = await this.answered(jsm.streams.info(stream, { subjects_filter: filter }));
      return new Map(Object.entries(info.state.subjects ?? {}));
    } catch (err) {
      throw unavailable(`cannot list the subjects ${filter} of JetStream stream "${stream}"`, err);
    }
  }

  private async streamInfoIfExists(name: string): Promise<StreamInfo | undefined> {
    const { jsm } = await this.conn(`stream ${name}`);
    try {
      return await this.answered(jsm.streams.info(name));
    } catch (err) {
      if ((err as { api_error?: { err_code?: number } }).api_error?.err_code === STREAM_NOT_FOUND || /stream not found/i.test(String((err as Error)?.message))) return undefined;
      throw unavailable(`cannot read JetStream stream "${name}"`, err);
    }
  }

  // --- Group tests and tools: following a log as it is written ------------------------------

  /**
   * Calls `onMessage` with every message the stream stores on `subject` (wildcards allowed), from
   * the oldest on, as it is stored: an ordered consumer, which the client re-creates after a
   * reconnect from the last sequence it delivered. Sees what retention deletes later, unlike a
   * read after the fact; unlike a plain subscription, never a publish the stream refused (a
   * fenced `Nats-Expected-Last-Subject-Sequence`). Resolves once following; call the returned
   * function to stop.
   */
  async follow(stream: string, subject: string, onMessage: (m: RawMessage) => void): Promise<() => Promise<void>> {
    const { js } = await this.conn(`follow ${subject}`);
    try {
      const consumer = await js.consumers.get(stream, { filterSubjects: subject });
      const messages = await consumer.consume();
      const done = (async () => {
        for await (const m of messages) onMessage({ subject: m.subject, seq: m.seq, data: m.data, timestamp: Math.floor(m.info.timestampNanos / 1e6), headers: headersOf(m.headers) });
      })().catch(() => undefined);
      return async () => {
        await messages.close();
        await done;
      };
    } catch (err) {
      throw unavailable(`cannot follow ${subject} in JetStream stream "${stream}"`, err);
    }
  }

  /** Drops this reference; the last one closes the connection. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (--this.entry.refs > 0) return;
    if (shared.get(this.entry.key) === this.entry) shared.delete(this.entry.key);
    const conn = await this.entry.conn.catch(() => undefined);
    await conn?.nc.drain().catch(() => conn.nc.close());
  }
}

/**
 * The manager's direct-get API: present on nats 2.29's manager (`jsm.direct`), though its type
 * (DirectStreamAPI) is not exported; the query shapes used here are the server's (2.9).
 */
function direct(jsm: JetStreamManager): { getMessage(stream: string, query: { last_by_subj: string } | { seq: number }): Promise<StoredMsg> } {
  return (jsm as JetStreamManager & { direct: ReturnType<typeof direct> }).direct;
}

/** A direct get's message, undefined for the server's 404 (no such message). */
async function directMessage(get: () => Promise<StoredMsg>, what: string): Promise<RawMessage | undefined> {
  try {
    const m = await get();
    const headers = headersOf(m.header);
    // The direct get's own headers (Nats-Stream, Nats-Sequence, ...) are not the message's.
    if (headers !== undefined) for (const k of Object.keys(headers)) if (DIRECT_HEADERS.has(k)) delete headers[k];
    return { subject: m.subject, seq: m.seq, data: m.data, timestamp: m.time.getTime(), headers: headers !== undefined && Object.keys(headers).length > 0 ? headers : undefined };
  } catch (err) {
    if ((err as { code?: string }).code === "404") return undefined;
    throw unavailable(what, err);
  }
}

const DIRECT_HEADERS = new Set(["Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Last-Sequence"]);

/**
 * A consumer that reads `subject` from `afterSeq + 1` without acknowledgements, in memory, and
 * vanishes after `idleMs` unused (a dead process leaves none behind).
 */
function readConsumer(subject: string, afterSeq: number, idleMs: number): Partial<ConsumerConfig> {
  return { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1, filter_subject: subject, mem_storage: true, inactive_threshold: nanos(idleMs) };
}

function headersOf(h: { keys(): string[]; get(k: string): string } | undefined): Record<string, string> | undefined {
  if (h === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function unavailable(message: string, cause: unknown, fix = ""): StreamingError {
  if (StreamingError.is(cause)) return cause;
  const why = cause instanceof Error ? `: ${cause.message}` : "";
  return new StreamingError(ErrorCodes.SOURCE_UNAVAILABLE, `${message}${why}${fix}`, { cause });
}

/** JSStreamNotFoundErr. */
const STREAM_NOT_FOUND = 10059;

/** JSStreamWrongLastSequenceErr: a publish whose `Nats-Expected-Last-Subject-Sequence` did not hold. */
const WRONG_LAST_SEQUENCE = 10071;

/** True when `err` is a refused compare-and-set (the subject or key has a newer message). */
function casFailed(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: unknown } | undefined;
  return e?.api_error?.err_code === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(String(e?.message));
}

// ---- long-lived partition readers (lib/sources/jetstream/partition-range.ts, PartitionReaders) ----

/**
 * One pull consumer of one subject, read in order by {@link pull}. Each pull is a `no_wait`
 * request answered at once with what the consumer holds, so a reader never waits for messages
 * and reads nothing ahead of what it asks for. With acks off, a message delivered to an inbox no
 * longer listened to would be lost to the reader: every delivery's consumer sequence is checked
 * to follow the one before, and a reader that misses one (or gets no answer) is broken: its
 * owner opens a new one at its last position.
 */
export class SubjectReader {
  /** Messages on the subject after the last one pulled, as the server counted at its last answer. */
  pending: number;
  /** Consumer sequence of the last delivery (with acks off, deliveries count up by one). */
  private delivered = 0;
  private broken = false;

  /** @internal made by {@link JetStreamClient.openReader} */
  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly subject: string,
    private readonly name: string,
    pending: number,
    private readonly reconnects: Reconnects,
    private readonly reconnectsAtOpen: number,
  ) {
    this.pending = pending;
  }

  /**
   * The next messages, in order, at most `max` of them: those the consumer holds now. `more` is
   * true when `max` came (there may be others), false when the server said it held no more.
   * Undefined when the reader lost its place (a delivery missing, no answer within the request
   * timeout: on 2.9.10 a pull from a consumer that is gone gets none; the connection reconnected
   * since the reader opened, which may have lost the consumer): close it and open another.
   */
  pull(max: number): Promise<{ messages: RawMessage[]; more: boolean } | undefined> {
    if (this.reconnects.count !== this.reconnectsAtOpen) this.broken = true;
    if (this.broken) return Promise.resolve(undefined);
    const messages: RawMessage[] = [];
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (result: { messages: RawMessage[]; more: boolean } | undefined, err?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.reconnects.waiting.delete(lost);
        sub.unsubscribe();
        if (result === undefined) this.broken = true;
        if (err !== undefined) reject(unavailable(`cannot read ${this.subject} from JetStream stream "${this.stream}"`, err));
        else resolve(result);
      };
      const timer = setTimeout(() => finish(undefined), REQUEST_TIMEOUT_MS);
      const lost = (): void => finish(undefined);
      this.reconnects.waiting.add(lost);
      const sub = this.nc.subscribe(createInbox(), {
        callback: (err, m) => {
          if (err !== null) return finish(undefined, err);
          const code = m.headers?.code ?? 0;
          if (code !== 0 && m.data.length === 0) {
            // 404 No Messages / 408 Request Timeout end a no_wait pull that found fewer than asked;
            // anything else (503 no responders: the consumer is gone) breaks the reader.
            if (code === 100) return;
            return finish(code === 404 || code === 408 ? { messages, more: false } : undefined);
          }
          // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts nanos>.<pending>, read from the end
          // (servers from 2.10 may put a domain and account hash in front).
          const t = (m.reply ?? "").split(".");
          const consumerSeq = Number(t[t.length - 3]);
          if (t.length < 9 || consumerSeq !== this.delivered + 1) return finish(undefined);
          this.delivered = consumerSeq;
          this.pending = Number(t[t.length - 1]);
          messages.push({ subject: m.subject, seq: Number(t[t.length - 4]), data: m.data, timestamp: Math.floor(Number(t[t.length - 2]) / 1e6), headers: headersOf(m.headers) });
          if (messages.length >= max) finish({ messages, more: true });
          // The timeout bounds the wait for the next answer, not the whole pull.
          else timer.refresh();
        },
      });
      this.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${this.stream}.${this.name}`, JSON_ENCODER.encode(JSON.stringify({ batch: max, no_wait: true })), { reply: sub.getSubject() });
    });
  }

  /** Deletes the consumer (a lost delete leaves it to the server's inactive threshold). */
  async close(): Promise<void> {
    this.broken = true;
    await this.jsm.consumers.delete(this.stream, this.name).catch(() => undefined);
  }
}

const JSON_ENCODER = new TextEncoder();

// ---- KV for groups (lib/group/coordinator.ts) ----

/** One key's current value in a KV bucket. */
export interface KvEntry {
  key: string;
  value: Uint8Array;
  /** The entry's stream sequence: what a compare-and-set names. */
  revision: number;
  /** The server's time when it stored the entry, ms since the epoch. */
  timestamp: number;
}

/**
 * A KV bucket with compare-and-set on revisions. A failed compare-and-set is an answer
 * (`undefined`/false), not an error; anything else (server unreachable, timeout) throws
 * `SOURCE_UNAVAILABLE`.
 */
export class KvBucket {
  /** @internal built by {@link JetStreamClient.kvBucket} */
  constructor(
    readonly name: string,
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly reconnects: Reconnects,
  ) {}

  private fail(what: string, err: unknown): StreamingError {
    return unavailable(`KV bucket "${this.name}": cannot ${what}`, err);
  }

  /** The key's current value; undefined when absent or deleted. */
  async get(key: string): Promise<KvEntry | undefined> {
    let e;
    try {
      e = await this.reconnects.answered(this.kv.get(key));
    } catch (err) {
      throw this.fail(`read ${key}`, err);
    }
    if (e === null || e.operation !== "PUT") return undefined;
    return { key, value: e.value, revision: e.revision, timestamp: e.created.getTime() };
  }

  /** Writes the key unconditionally; returns the new revision. */
  async put(key: string, value: Uint8Array): Promise<number> {
    try {
      return await this.reconnects.answered(this.kv.put(key, value));
    } catch (err) {
      throw this.fail(`write ${key}`, err);
    }
  }

  /** Writes the key if it is absent (or deleted); the new revision, or undefined when it exists. */
  async create(key: string, value: Uint8Array): Promise<number | undefined> {
    try {
      return await this.reconnects.answered(this.kv.create(key, value));
    } catch (err) {
      if (casFailed(err)) return undefined;
      throw this.fail(`create ${key}`, err);
    }
  }

  /** Writes the key if its revision is still `revision`; the new revision, or undefined when not. */
  async update(key: string, value: Uint8Array, revision: number): Promise<number | undefined> {
    try {
      return await this.reconnects.answered(this.kv.update(key, value, revision));
    } catch (err) {
      if (casFailed(err)) return undefined;
      throw this.fail(`update ${key}`, err);
    }
  }

  /**
   * Deletes the key (a delete marker), only if its revision is still `revision` when given;
   * false when that compare-and-set failed.
   */
  async delete(key: string, revision?: number): Promise<boolean> {
    try {
      await this.reconnects.answered(this.kv.delete(key, revision === undefined ? undefined : { previousSeq: revision }));
      return true;
    } catch (err) {
      if (casFailed(err)) return false;
      throw this.fail(`delete ${key}`, err);
    }
  }

  /**
   * Every present key's current entry (under `prefix`, e.g. "lease.", when given): the keys from
   * the stream's subject list (one stream info), then one direct get per key, in parallel. Not a
   * consumer: on 2.9.10 a `last_per_subject` consumer delivers one message over and over, in place
   * of the others, when keys are rewritten during the read, and a `deliver all` one counts removed
   * (rewritten) messages as pending, so its reads wait for messages that never come.
   */
  async entries(prefix = ""): Promise<KvEntry[]> {
    const base = `$KV.${this.name}.`;
    let subjects: Record<string, number> | undefined;
    try {
      subjects = (await this.reconnects.answered(this.jsm.streams.info(`KV_${this.name}`, { subjects_filter: `${base}${prefix}>` }))).state.subjects;
    } catch (err) {
      throw this.fail(`list${prefix === "" ? "" : ` ${prefix}*`}`, err);
    }
    const keys = Object.keys(subjects ?? {}).map((subject) => subject.substring(base.length));
    const entries = await Promise.all(keys.map((key) => this.get(key)));
    return entries.filter((e): e is KvEntry => e !== undefined);
  }
}
