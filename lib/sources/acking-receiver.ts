import { ErrorCodes, ReceiverError } from "../../errors.js";
import { Receiver, type ReceiverOptions } from "../receiver/receiver.js";
import { AckingBatcher, type Delivery } from "./acking-batcher.js";
import { RedeliveryWindow } from "./redelivery-window.js";

/** One connection of an {@link AckingReceiver}; `closed` once it is being replaced or stopped. */
export interface AckingSession {
  closed: boolean;
  /** The last error the connection reported: the close that follows names it. */
  error?: unknown;
}

/**
 * The life cycle every reliable message-queue receiver shares: one session per connection, an
 * {@link AckingBatcher} that writes blocks and then acknowledges, a {@link RedeliveryWindow} restored
 * from the WAL on the first start and carried across reconnections, and a restart with backoff
 * (reported to listeners as DSTREAM_SOURCE_UNAVAILABLE) when the connection is lost. Subclasses
 * speak their broker's protocol: connect, acknowledge a durable batch, disconnect.
 */
export abstract class AckingReceiver<T, M, S extends AckingSession> extends Receiver<T> {
  private window: RedeliveryWindow | undefined;
  private session: S | undefined;
  private batcher: AckingBatcher<T, M> | undefined;
  private counts = { stored: 0, duplicates: 0 };

  /**
   * `inflight`: the most unacknowledged messages the broker sends at a time (prefetch); Infinity
   * when the broker's bound cannot be trusted and the subclass calls {@link acknowledgementsProcessed}.
   */
  constructor(
    options: ReceiverOptions,
    private readonly inflight: number,
    protected readonly reconnectDelay: number,
  ) {
    super(options);
  }

  /** Records made durable and redeliveries dropped by this receiver in this process. */
  get counters(): { stored: number; duplicates: number } {
    const b = this.batcher;
    return { stored: this.counts.stored + (b?.stored ?? 0), duplicates: this.counts.duplicates + (b?.duplicates ?? 0) };
  }

  /** Identities of stored messages the broker may still deliver again (see {@link RedeliveryWindow}). */
  get heldIdentities(): number {
    return this.window?.size ?? 0;
  }

  onStart(): void {
    // The window outlives connections; from the WAL only on the first start of this process.
    this.window ??= RedeliveryWindow.restore(this.lastStoredOffset(), this.inflight);
    this.window.newConnection();
    const session = this.newSession();
    this.session = session;
    const batcher = new AckingBatcher<T, M>(this, this.window, (batch) => this.settle(session, batch), (err) => this.storeFailed(session, err));
    this.batcher = batcher;
    this.connect(session, batcher).catch((err: unknown) => this.lost(session, this.connectFailure(), err));
  }

  async onStop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session === undefined) return;
    session.closed = true;
    // The write in flight must land (and be acknowledged) before a new connection looks for duplicates.
    await this.batcher?.close();
    this.counts = this.counters;
    this.batcher = undefined;
    await this.disconnect(session);
  }

  /** A fresh session object for a new connection. */
  protected abstract newSession(): S;
  /** Connects and starts consuming; each message goes to `batcher.push(this.delivery(…))`. */
  protected abstract connect(session: S, batcher: AckingBatcher<T, M>): Promise<void>;
  /** Closes the connection; unacknowledged messages go back to the broker. */
  protected abstract disconnect(session: S): Promise<void>;
  /** Acknowledges a durable batch, in delivery order. Must not throw. */
  protected abstract settle(session: S, batch: readonly Delivery<T, M>[]): void;
  /** The message reported when connecting fails. */
  protected abstract connectFailure(): string;

  /**
   * The message's identity across connections and consumers, if the protocol carries one; undefined
   * by default. Unlike the window's key it must never name two different messages: in a group it
   * is the JetStream deduplication id, and a second message with the same id is dropped.
   */
  protected globalId(_message: M): string | undefined {
    return undefined;
  }

  /**
   * Classifies one message: a duplicate of one in the WAL (redelivered, its identity held), a record,
   * or (the codec failed, reported as `what`) rejected.
   */
  protected delivery(message: M, key: string, pos: number, redelivered: boolean, decode: () => T, what: string): Delivery<T, M> {
    if ((this.window as RedeliveryWindow).arrived(key, pos, redelivered)) return { kind: "duplicate", key, pos, message };
    try {
      const id = this.globalId(message);
      return { kind: "store", key, pos, record: decode(), message, ...(id === undefined ? {} : { id }) };
    } catch (err) {
      this.reportError(what, err);
      return { kind: "rejected", key, pos, message };
    }
  }

  /**
   * The broker has processed the acknowledgements of every delivery up to `pos` on `session`:
   * their identities leave the redelivery window.
   */
  protected acknowledgementsProcessed(session: S, pos: number): void {
    if (session.closed || this.session !== session) return;
    this.window?.confirm(pos);
  }

  /** The connection is gone: restart with backoff, once per session, with a coded error for listeners. */
  protected lost(session: S, message: string, err: unknown): void {
    if (session.closed || this.session !== session) return;
    session.closed = true;
    const text = err instanceof Error ? `${message}: ${err.message}` : message;
    this.restart(message, new ReceiverError(ErrorCodes.SOURCE_UNAVAILABLE, text, err === undefined ? undefined : { cause: err }), this.reconnectDelay);
  }

  private storeFailed(session: S, err: unknown): void {
    if (session.closed || this.isStopped()) return;
    this.lost(session, `${this.name}: storing a block failed; reconnecting so the broker delivers it again`, err);
  }
}
