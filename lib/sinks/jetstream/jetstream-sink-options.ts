import { serverList } from "../../sources/jetstream/jetstream-client.js";
import { checkCodec, type MessageCodec } from "../../sources/message-codec.js";
import type { Duration } from "../../time.js";

/** Options of `saveToJetStream`. */
export interface JetStreamSinkOptions<T> {
  servers: string | string[];
  /** The subject of every record, or a function giving each record's subject. */
  subject: string | ((record: T) => string);
  /** How records become payloads; default "string". */
  codec?: MessageCodec;
  /** A `Dstream-Key` header per record (read back as `key` by `ssc.jetStream`). */
  key?: (record: T) => string;
  /** The sink id (default: from the operator id). */
  name?: string;
  /**
   * The longest a crashed job may stay down and still re-run its last batch without duplicates:
   * the target stream's `duplicate_window` must be at least this. Default 2 minutes (NATS's default window).
   */
  recoveryWindow?: Duration;
}

/** Options checked, defaults applied. */
export interface ResolvedJetStreamSinkOptions<T> {
  servers: string[];
  subjectOf: (record: T) => string;
  codec: MessageCodec;
  keyOf: ((record: T) => string) | undefined;
  recoveryWindow: Duration;
}

const SUBJECT = /^[^\s*>]+$/;

/** Validates `saveToJetStream` options, naming the option that is wrong. */
export function resolveJetStreamSinkOptions<T>(o: JetStreamSinkOptions<T>): ResolvedJetStreamSinkOptions<T> {
  const where = "saveToJetStream(options)";
  if (o === null || typeof o !== "object") throw new TypeError(`${where} expects { servers, subject, … }; got ${String(o)}`);
  const servers = serverList(o.servers, where);
  let subjectOf: (record: T) => string;
  if (typeof o.subject === "string") {
    if (!SUBJECT.test(o.subject) || o.subject.endsWith(".")) throw new TypeError(`${where}: subject must be a subject without wildcards; got ${JSON.stringify(o.subject)}`);
    const s = o.subject;
    subjectOf = () => s;
  } else if (typeof o.subject === "function") {
    const f = o.subject;
    subjectOf = (r) => {
      const s = f(r);
      if (typeof s !== "string" || !SUBJECT.test(s)) throw new TypeError(`${where}: the subject function returned ${JSON.stringify(s)}; it must return a subject without wildcards`);
      return s;
    };
  } else {
    throw new TypeError(`${where}: subject must be a string or a function of the record; got ${typeof o.subject}`);
  }
  if (o.key !== undefined && typeof o.key !== "function") throw new TypeError(`${where}: key must be a function of the record; got ${typeof o.key}`);
  const recoveryWindow = o.recoveryWindow ?? 120_000;
  if (!Number.isFinite(recoveryWindow) || recoveryWindow <= 0) throw new RangeError(`${where}: recoveryWindow must be a positive number of ms; got ${String(o.recoveryWindow)}`);
  return { servers, subjectOf, codec: checkCodec(o.codec, where), keyOf: o.key, recoveryWindow };
}
