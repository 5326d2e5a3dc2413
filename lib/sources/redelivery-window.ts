/**
 * The identities of messages that are in the WAL but whose acknowledgement may not have reached
 * the broker: exactly the messages a broker may deliver again. A reliable message-queue receiver
 * writes this set as the offset of every block it stores (one atomic write with the block), reads
 * it back from `lastStoredOffset()` after a restart, and drops a redelivered message whose identity
 * it holds: that message is already in the WAL.
 *
 * Why the set stays small: the receiver acknowledges strictly in delivery order, and a broker that
 * never has more than `inflight` unacknowledged messages out (RabbitMQ's prefetch) has processed
 * the acknowledgements of every position up to n − inflight when the message at position n
 * arrives, and those identities can go. A broker that does not keep to such a bound (Mosquitto
 * 2.0.11 overruns MQTT 5's Receive Maximum) gets `inflight` = Infinity, and its receiver proves
 * instead which acknowledgements the broker processed and calls {@link confirm}. Positions
 * are per connection (a delivery tag, a counter); on a new connection every held identity becomes
 * "restored" (position unknown) until the broker shows that its redeliveries are over: brokers
 * redeliver unacknowledged messages before any new one (RabbitMQ requeues them at their original
 * place; an MQTT server resends its in-flight messages on session resumption), so the first
 * message that is not marked redelivered ends the restored set.
 */
export class RedeliveryWindow {
  /** Identities held from an earlier connection, with multiplicity (content hashes may repeat). */
  private restored = new Map<string, number>();
  /** Identities acknowledged, or about to be, on this connection, in delivery order. */
  private current: { key: string; pos: number }[] = [];
  private head = 0;

  constructor(private readonly inflight: number) {}

  /** The window written in an offset by {@link snapshot}; anything else (a fresh checkpoint) is empty. */
  static restore(offset: unknown, inflight: number): RedeliveryWindow {
    const w = new RedeliveryWindow(inflight);
    const keys = (offset as { redelivery?: unknown } | undefined)?.redelivery;
    if (Array.isArray(keys)) for (const k of keys) if (typeof k === "string") w.restored.set(k, (w.restored.get(k) ?? 0) + 1);
    return w;
  }

  /** A new connection: positions of the old one mean nothing now; what it held may come back. */
  newConnection(): void {
    for (let i = this.head; i < this.current.length; i++) {
      const k = (this.current[i] as { key: string }).key;
      this.restored.set(k, (this.restored.get(k) ?? 0) + 1);
    }
    this.current = [];
    this.head = 0;
  }

  /**
   * A message arrived at `pos`. `redelivered`: the broker marks it as sent before. Returns true when
   * it is a duplicate of one in the WAL (its identity `key` was held): acknowledge it, store nothing.
   */
  arrived(key: string, pos: number, redelivered: boolean): boolean {
    this.confirm(pos - this.inflight);
    if (!redelivered) {
      this.restored.clear();
      return false;
    }
    const n = this.restored.get(key);
    if (n === undefined) return false;
    if (n === 1) this.restored.delete(key);
    else this.restored.set(key, n - 1);
    // Its acknowledgement is pending again: it joins the window with its batch (add/snapshot).
    return true;
  }

  /**
   * The broker has processed the acknowledgements of every delivery up to position `pos` of this
   * connection (the receiver saw proof of it): those identities can no longer come back.
   */
  confirm(pos: number): void {
    while (this.head < this.current.length && (this.current[this.head] as { pos: number }).pos <= pos) this.head++;
    if (this.head > 1024 && this.head * 2 > this.current.length) {
      this.current = this.current.slice(this.head);
      this.head = 0;
    }
  }

  /** Duplicates whose acknowledgement was never sent (the write before it failed): held again. */
  giveBack(keys: readonly string[]): void {
    for (const k of keys) this.restored.set(k, (this.restored.get(k) ?? 0) + 1);
  }

  /**
   * Messages of a batch, in delivery order, once durable (stored, or duplicates of stored ones) and
   * their acknowledgements sent.
   */
  add(entries: readonly { key: string; pos: number }[]): void {
    for (const e of entries) this.current.push(e);
  }

  /** The offset to store with a block that holds `adding` (identities not yet {@link add}ed). */
  snapshot(adding: readonly { key: string }[]): { redelivery: string[] } {
    const keys: string[] = [];
    for (const [k, n] of this.restored) for (let i = 0; i < n; i++) keys.push(k);
    for (let i = this.head; i < this.current.length; i++) keys.push((this.current[i] as { key: string }).key);
    for (const e of adding) keys.push(e.key);
    return { redelivery: keys };
  }

  /** Identities held (for tests and the UI). */
  get size(): number {
    let n = this.current.length - this.head;
    for (const c of this.restored.values()) n += c;
    return n;
  }
}
