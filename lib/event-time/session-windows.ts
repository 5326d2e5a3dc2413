import { KeyMap } from "../rdd/key-map.js";
import type { Duration } from "../time.js";
import { KeyedState, type KeyedDelta } from "../dstream/internal.js";
import { byWindowStart, type WindowRow, type WindowStore } from "./window-store.js";

/** One session: `[start, end)` with end = last event time + gap, and its reduced value. */
interface Session<V> {
  start: number;
  end: number;
  value: V;
}

/**
 * A key's open sessions, by start, never touching one another; and the end of its latest finalised
 * session while a record could still reach it (see SessionWindowStore).
 */
interface KeySessions<V> {
  sessions: Session<V>[];
  closedEnd?: number;
}

/**
 * Session windows (Spark's `session_window`): a record at t opens `[t, t + gap)`; sessions of a key
 * that overlap or touch (`start ≤ other end`, as Spark's MergingSessionsIterator) merge into one.
 *
 * Lateness, so that no emitted session ever changes: a record is late when its own session
 * `[t, t + gap)` ends at or before the watermark (Spark's rule), and also when it would merge into
 * a session of its key that was already finalised (t ≤ that session's end), where Spark would open
 * a second, overlapping session. The end of a key's latest finalised session is kept only until
 * `end + gap ≤ watermark`, after which the first rule covers it: state stays bounded by the watermark.
 *
 * State values are replaced, never mutated, so a snapshot taken at a commit stays as it was.
 */
export class SessionWindowStore<K, V> implements WindowStore<K, V> {
  private readonly state = new KeyedState<K, KeySessions<V>>();
  /** Keys whose sessions changed since the last takeUpdated, with the sessions touched (update mode). */
  private readonly updated = new KeyMap<K, Set<number>>();
  private rows = 0;
  /** No session ends, and no finalised end expires, before this: eviction skips the scan until then. */
  private nextEviction = Infinity;

  constructor(
    private readonly gap: Duration,
    private readonly reduce: (a: V, b: V) => V,
    private readonly trackUpdates: boolean,
  ) {}

  get size(): number {
    return this.rows;
  }

  add(key: K, value: V, t: number, watermark: number): number {
    const end = t + this.gap;
    if (end <= watermark) return 1;
    const current = this.state.get(key);
    if (current?.closedEnd !== undefined && t <= current.closedEnd) return 1;
    const sessions = current?.sessions ?? [];
    // Sessions of a key never touch one another and are sorted by start, so the ones [t, end)
    // overlaps or touches are a contiguous run [lo, hi).
    let lo = 0;
    while (lo < sessions.length && (sessions[lo] as Session<V>).end < t) lo++;
    let hi = lo;
    while (hi < sessions.length && (sessions[hi] as Session<V>).start <= end) hi++;
    // Their values are reduced in start order, the new one placed by its start after any session
    // starting at t. As with reduceByKey, `reduce` should be associative and commutative: records
    // are folded in as they arrive.
    let merged: Session<V>;
    if (lo === hi) {
      merged = { start: t, end, value };
    } else {
      let v: V | undefined;
      let has = false;
      let placed = false;
      let last = end;
      for (let i = lo; i < hi; i++) {
        const s = sessions[i] as Session<V>;
        if (!placed && s.start > t) {
          v = has ? this.reduce(v as V, value) : value;
          has = placed = true;
        }
        v = has ? this.reduce(v as V, s.value) : s.value;
        has = true;
        if (s.end > last) last = s.end;
      }
      if (!placed) v = this.reduce(v as V, value);
      merged = { start: Math.min(t, (sessions[lo] as Session<V>).start), end: last, value: v as V };
    }
    // Replaced, not mutated: a snapshot taken at a commit may still be packing.
    const next = sessions.slice(0, lo);
    next.push(merged);
    for (let i = hi; i < sessions.length; i++) next.push(sessions[i] as Session<V>);
    this.rows += next.length - sessions.length;
    const ks: KeySessions<V> = { sessions: next };
    if (current?.closedEnd !== undefined) ks.closedEnd = current.closedEnd;
    this.state.set(key, ks);
    if (merged.end < this.nextEviction) this.nextEviction = merged.end;
    if (this.trackUpdates) {
      let starts = this.updated.get(key);
      if (starts === undefined) this.updated.set(key, (starts = new Set()));
      for (let i = lo; i < hi; i++) starts.delete((sessions[i] as Session<V>).start);
      starts.add(merged.start);
    }
    return 0;
  }

  takeUpdated(): WindowRow<K, V>[] {
    const out: WindowRow<K, V>[] = [];
    for (const [key, starts] of this.updated.entries()) {
      for (const s of this.state.get(key)?.sessions ?? []) if (starts.has(s.start)) out.push([key, s.value, { start: s.start, end: s.end }]);
    }
    this.updated.clear();
    return byWindowStart(out);
  }

  evict(watermark: number): WindowRow<K, V>[] {
    const out: WindowRow<K, V>[] = [];
    if (watermark < this.nextEviction) return out;
    let next = Infinity;
    const changes: [K, KeySessions<V> | undefined][] = [];
    this.state.forEach((ks, key) => {
      let closedEnd = ks.closedEnd;
      const open: Session<V>[] = [];
      for (const s of ks.sessions) {
        if (s.end <= watermark) {
          out.push([key, s.value, { start: s.start, end: s.end }]);
          closedEnd = Math.max(closedEnd ?? -Infinity, s.end);
        } else {
          open.push(s);
          next = Math.min(next, s.end);
        }
      }
      // A finalised end matters only while a record not yet late by its own session could reach it.
      if (closedEnd !== undefined && closedEnd + this.gap <= watermark) closedEnd = undefined;
      if (closedEnd !== undefined) next = Math.min(next, closedEnd + this.gap);
      if (open.length === ks.sessions.length && closedEnd === ks.closedEnd) return;
      this.rows -= ks.sessions.length - open.length;
      if (open.length === 0 && closedEnd === undefined) changes.push([key, undefined]);
      else changes.push([key, closedEnd === undefined ? { sessions: open } : { sessions: open, closedEnd }]);
    });
    for (const [key, ks] of changes) {
      if (ks === undefined) this.state.delete(key);
      else this.state.set(key, ks);
    }
    this.nextEviction = next;
    return byWindowStart(out);
  }

  takeDelta(): KeyedDelta<K, KeySessions<V>> | undefined {
    return this.state.takeDelta();
  }

  snapshot(): [K, KeySessions<V>][] {
    return this.state.snapshot();
  }

  restore(snapshot: unknown, deltas: readonly unknown[]): void {
    this.state.restore(snapshot as [K, KeySessions<V>][] | undefined, deltas as (KeyedDelta<K, KeySessions<V>> | undefined)[]);
    this.updated.clear();
    this.rows = 0;
    let next = Infinity;
    this.state.forEach((ks) => {
      this.rows += ks.sessions.length;
      for (const s of ks.sessions) next = Math.min(next, s.end);
      if (ks.closedEnd !== undefined) next = Math.min(next, ks.closedEnd + this.gap);
    });
    this.nextEviction = next;
  }
}
