/**
 * The shuffle exchange of a group on JetStream (DESIGN.md §10): what source partition p of a
 * re-keying stage produced at batch t for target partition q is one message on
 * `dstream.group.<name>.shuf.<exchangeId>.<q>.<t>.<p>` in the stream `DSTREAM_GROUP_<name>_SHUF`
 * (chunks of a large part on `…shufc.<exchangeId>.<q>.<t>.<p>`). An empty part is published too,
 * so the collector of q knows p is done. Msg-Id `${exchangeId}:${p}:${q}:${t}` makes a batch re-run
 * harmless; the stream's duplicate window (10 min) covers a recovery. The collector of q removes
 * q's parts of batches it no longer needs (`purgeBelow`, after its partition's snapshots); max_age
 * (24 h by default) removes whatever nobody purged (a group stopped for good).
 *
 * The collector of (q, t) polls the last message of each source subject not yet seen (direct get,
 * no consumer), backing off from 2 ms to 50 ms while nothing new arrives.
 */
import type { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import type { Time } from "../time.js";
import { ErrorCodes, StorageError } from "../../errors.js";
import { decodeChunked, encodeChunked, lowestSeq, messageLimit } from "./chunks.js";
import type { ShuffleExchange } from "./contracts.js";
import { checkGroupOptions } from "./partition-log.js";

/** Options of {@link shuffleExchange}. */
export interface ShuffleExchangeOptions {
  group: string;
  partitions: number;
  /** How long the stream keeps a batch's parts; default 24 h. */
  maxAgeMs?: number;
  /** Parts larger than this go as chunks; default the server's max payload minus headroom (tests lower it). */
  maxMessageBytes?: number;
}

const DAY_MS = 24 * 3600_000;
const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** A collect still waiting after this long asks its caller (`stalled`) whether the missing parts can still come. */
const STALL_CHECK_MS = 10_000;
const FIRST_POLL_MS = 2;
const MAX_POLL_MS = 50;
const PLAIN_ID = /^[A-Za-z0-9_-]+$/;

/** The shuffle exchange of `options.group`; see the module comment. */
export function shuffleExchange(client: JetStreamClient, options: ShuffleExchangeOptions): ShuffleExchange {
  return new JetStreamShuffleExchange(client, options);
}

class JetStreamShuffleExchange implements ShuffleExchange {
  private readonly group: string;
  private readonly partitions: number;
  private readonly stream: string;
  private readonly maxAgeMs: number;
  private limit: Promise<number> | undefined;

  constructor(
    private readonly client: JetStreamClient,
    private readonly options: ShuffleExchangeOptions,
  ) {
    const where = "shuffleExchange(client, options)";
    checkGroupOptions(options, where);
    const maxAgeMs = options.maxAgeMs ?? DAY_MS;
    if (!Number.isInteger(maxAgeMs) || maxAgeMs < 1000) throw new RangeError(`${where}: maxAgeMs must be a whole number of milliseconds ≥ 1000; got ${String(options.maxAgeMs)}`);
    this.group = options.group;
    this.partitions = options.partitions;
    this.maxAgeMs = maxAgeMs;
    this.stream = `DSTREAM_GROUP_${options.group}_SHUF`;
  }

  async ensure(): Promise<void> {
    await this.client.ensureStream({
      name: this.stream,
      subjects: [`dstream.group.${this.group}.shuf.>`, `dstream.group.${this.group}.shufc.>`],
      storage: "file",
      allowDirect: true,
      maxAgeMs: this.maxAgeMs,
      // The server refuses a duplicate window longer than max_age.
      duplicateWindowMs: Math.min(DUPLICATE_WINDOW_MS, this.maxAgeMs),
    });
  }

  private subject(kind: "shuf" | "shufc", id: string, q: number, time: Time, p: number): string {
    return `dstream.group.${this.group}.${kind}.${id}.${q}.${time}.${p}`;
  }

  async publish(exchangeId: string, p: number, time: Time, parts: readonly (readonly unknown[])[]): Promise<void> {
    const id = subjectToken(exchangeId, "publish");
    this.check(p, time, "publish", "p");
    if (!Array.isArray(parts) || parts.length !== this.partitions || !parts.every((part) => Array.isArray(part))) {
      throw new TypeError(`shuffleExchange(${this.group}).publish(${exchangeId}, ${p}, ${time}, parts): parts must be an array of ${this.partitions} arrays (one per target partition, empty ones included)`);
    }
    const limit = await (this.limit ??= messageLimit(this.client, this.options.maxMessageBytes, `shuffleExchange(${this.group})`));
    // All targets at once: each publish waits for its ack, so one by one would cost P round trips.
    await Promise.all(
      parts.map(async (part, q) => {
        const msgId = `${id}:${p}:${q}:${time}`;
        const { data, headers } = await encodeChunked(this.client, part, { stream: this.stream, subject: this.subject("shufc", id, q, time, p), msgIdPrefix: msgId, limit, minSeq: 0 });
        await this.client.publish(this.subject("shuf", id, q, time, p), data, headers === undefined ? { msgId } : { msgId, headers });
      }),
    );
  }

  async collect(exchangeId: string, q: number, time: Time, signal?: AbortSignal, stalled?: (missing: number[]) => Promise<void>): Promise<{ records: unknown[]; fromSeq: number }> {
    const id = subjectToken(exchangeId, "collect");
    this.check(q, time, "collect", "q");
    signal?.throwIfAborted();
    const parts: (unknown[] | undefined)[] = new Array(this.partitions).fill(undefined);
    let fromSeq = Number.MAX_SAFE_INTEGER;
    let delay = FIRST_POLL_MS;
    let lastCheck = Date.now();
    for (;;) {
      const missing = [...parts.keys()].filter((p) => parts[p] === undefined);
      const found = await abortable(
        Promise.all(
          missing.map(async (p) => {
            const m = await this.client.directGetLast(this.stream, this.subject("shuf", id, q, time, p));
            if (m === undefined) return false;
            const what = `shuffle part of group "${this.group}", exchange ${exchangeId}, batch ${time}, source ${p} → target ${q}`;
            const part = await decodeChunked(this.client, this.stream, this.subject("shufc", id, q, time, p), m, what);
            if (!Array.isArray(part)) throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `${what} is not a list of records; something other than dstream published on ${m.subject}`, { key: m.subject });
            parts[p] = part;
            fromSeq = Math.min(fromSeq, lowestSeq(m, what));
            return true;
          }),
        ),
        signal,
      );
      if (parts.every((part) => part !== undefined)) return { records: (parts as unknown[][]).flat(1), fromSeq };
      if (stalled !== undefined && Date.now() - lastCheck >= STALL_CHECK_MS) {
        lastCheck = Date.now();
        await stalled([...parts.keys()].filter((p) => parts[p] === undefined));
      }
      delay = found.some(Boolean) ? FIRST_POLL_MS : Math.min(MAX_POLL_MS, delay * 2);
      await sleep(delay, signal);
    }
  }

  async purgeBelow(exchangeId: string, q: number, seq: number): Promise<number> {
    const id = subjectToken(exchangeId, "purgeBelow");
    this.check(q, 0, "purgeBelow", "q");
    let purged = 0;
    for (const kind of ["shuf", "shufc"] as const) purged += await this.client.purgeSubjectBelow(this.stream, `dstream.group.${this.group}.${kind}.${id}.${q}.>`, seq);
    return purged;
  }

  private check(partition: number, time: Time, method: string, name: string): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
      throw new RangeError(`shuffleExchange(${this.group}).${method}: ${name} must be a partition 0..${this.partitions - 1}; got ${String(partition)}`);
    }
    if (!Number.isSafeInteger(time)) throw new TypeError(`shuffleExchange(${this.group}).${method}: time must be a batch time in whole milliseconds; got ${String(time)}`);
  }
}

/**
 * The exchange id as one subject token: as it is when it is letters, digits, "_" and "-", else
 * "~" and its UTF-8 in base64url (no "." "*" ">" or spaces; "~" never starts a plain id, so two ids
 * never share a token).
 */
export function subjectToken(exchangeId: string, method: string): string {
  if (typeof exchangeId !== "string" || exchangeId.length === 0) throw new TypeError(`shuffleExchange.${method}: exchangeId must be a non-empty string; got ${JSON.stringify(exchangeId)}`);
  return PLAIN_ID.test(exchangeId) ? exchangeId : `~${Buffer.from(exchangeId, "utf8").toString("base64url")}`;
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts (the listener is removed either way). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first; leaves no timer or listener behind. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
