import type { Pull, Subscriber } from "zeromq";
import { ErrorCodes, ReceiverError } from "../../../errors.js";
import { Receiver } from "../../receiver/receiver.js";
import { checkCodec, decodePayload, type MessageCodec } from "../message-codec.js";
import { optionalPositiveInt, optionalRate, optionsObject } from "../option-checks.js";

/** Options of `ssc.zeroMqStream`. */
export interface ZeroMqStreamOptions {
  /** "tcp://127.0.0.1:5555", "ipc:///tmp/feed"… */
  endpoint: string;
  /** "sub" (default; Spark's ZeroMQ receiver) or "pull". */
  type?: "pull" | "sub";
  /** SUB: topic prefixes to subscribe to; default every message. */
  topics?: string[];
  /** Payload to record; default "string". */
  codec?: MessageCodec;
  /** Bind the endpoint instead of connecting to it (the sender connects); default false. */
  bind?: boolean;
  /** First reconnect delay of the socket (ZeroMQ doubles it up to 60 s); default 2000 ms. */
  reconnectDelay?: number;
  /** Records per second, as every receiver's `maxRate`. */
  maxRate?: number;
  /** The receiver's name in listener events. */
  name?: string;
}

/**
 * `ssc.zeroMqStream(options)`: a SUB or PULL socket; every message's payload is a record (Spark's
 * ZeroMQReceiver). The payload is a message's last frame: for SUB, a two-frame message is
 * [topic, payload]; a one-frame message is the payload itself (topic prefix included).
 *
 * At-most-once: ZeroMQ has no acknowledgements, so records go through `store` (cut into blocks
 * every block interval) and a crash loses what was received and not yet written, as well as what
 * the sender queued for a peer that went away; a SUB socket also misses whatever is published
 * before its subscription reaches the publisher. ZeroMQ reconnects by itself (with backoff);
 * disconnects are reported to listeners; a failed socket restarts the receiver.
 */
export class ZeroMqReceiver<T = string> extends Receiver<T> {
  readonly endpoint: string;
  readonly type: "pull" | "sub";
  readonly topics: readonly string[];
  readonly codec: MessageCodec;
  private readonly bindIt: boolean;
  private readonly reconnectDelay: number;
  private socket: Pull | Subscriber | undefined;

  constructor(options: ZeroMqStreamOptions) {
    const where = "zeroMqStream(options)";
    const o = optionsObject(options, where, "{ endpoint, type?, topics?, codec? }");
    if (typeof o.endpoint !== "string" || !/^(tcp|ipc|inproc|pgm|epgm|ws|wss):\/\/./.test(o.endpoint)) throw new TypeError(`${where}: endpoint must be a ZeroMQ endpoint such as "tcp://127.0.0.1:5555"; got ${JSON.stringify(o.endpoint)}`);
    const type = o.type ?? "sub";
    if (type !== "pull" && type !== "sub") throw new TypeError(`${where}: type must be "pull" or "sub"; got ${JSON.stringify(o.type)}`);
    if (o.topics !== undefined && (!Array.isArray(o.topics) || !o.topics.every((t) => typeof t === "string"))) throw new TypeError(`${where}: topics must be an array of topic prefixes; got ${JSON.stringify(o.topics)}`);
    if (type === "pull" && o.topics !== undefined) throw new TypeError(`${where}: topics apply to type "sub" only; a PULL socket takes every message`);
    super({ name: o.name ?? `ZeroMqReceiver(${o.endpoint})`, ...(o.maxRate === undefined ? {} : { maxRate: optionalRate(o.maxRate) as number }) });
    this.endpoint = o.endpoint;
    this.type = type;
    this.topics = o.topics === undefined || o.topics.length === 0 ? [""] : [...o.topics];
    this.codec = checkCodec(o.codec, where);
    this.bindIt = o.bind ?? false;
    this.reconnectDelay = optionalPositiveInt(o.reconnectDelay, where, "reconnectDelay", 3_600_000) ?? 2000;
  }

  onStart(): void {
    void this.open().catch((err: unknown) => {
      if (!this.isStopped()) this.restart(`ZeroMQ ${this.type} socket on ${this.endpoint} failed; restarting`, err, this.reconnectDelay);
    });
  }

  onStop(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }

  private async open(): Promise<void> {
    const zmq = await import("zeromq");
    if (this.isStopped()) return;
    const socket = this.type === "pull" ? new zmq.Pull() : new zmq.Subscriber();
    this.socket = socket;
    socket.reconnectInterval = this.reconnectDelay;
    socket.reconnectMaxInterval = 60_000;
    if (socket instanceof zmq.Subscriber) socket.subscribe(...this.topics);
    void this.watch(socket);
    if (this.bindIt) await socket.bind(this.endpoint);
    else socket.connect(this.endpoint);
    for await (const frames of socket) {
      if (this.socket !== socket) return;
      const payload = frames[frames.length - 1] as Buffer;
      try {
        // Waits past the rate limit: ZeroMQ then queues up to its high-water mark (a PUSH peer blocks there).
        await this.store(decodePayload<T>(payload, this.codec));
      } catch (err) {
        this.reportError(`ZeroMQ ${this.endpoint}: a message is not ${this.codec}; dropped`, err);
      }
    }
  }

  /** Reports disconnects (ZeroMQ reconnects by itself) to listeners. */
  private async watch(socket: Pull | Subscriber): Promise<void> {
    try {
      for await (const event of socket.events) {
        if (this.socket !== socket) return;
        if (event.type !== "disconnect") continue;
        const message = `ZeroMQ peer ${event.address} disconnected from ${this.endpoint}; ZeroMQ reconnects`;
        this.reportError(message, new ReceiverError(ErrorCodes.SOURCE_UNAVAILABLE, message));
      }
    } catch {
      // The socket closed.
    }
  }
}
