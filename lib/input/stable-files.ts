import { stat } from "node:fs/promises";
import { join } from "node:path";

/** A file as last seen: its size, modification time, and since when (context clock) it is so. */
export interface SeenFile {
  name: string;
  size: number;
  mtimeMs: number;
  /** Context-clock time from which size and mtime have not changed. */
  since: number;
}

/**
 * The files of a directory that are still being written, until they are stable: a file is taken
 * once its size and modification time have stayed the same for `stableMs` on the context's clock
 * (a writer that pauses for less than that is waited for; tests drive it with a ManualClock).
 * Watcher events report what they see (`observe`); `takeStable` re-reads each file's size and
 * mtime at batch time, so a change the watcher has not reported yet still resets its period.
 */
export class StableFiles {
  private readonly seen = new Map<string, SeenFile>();

  constructor(
    private readonly directory: string,
    private readonly stableMs: number,
  ) {}

  /** Files found and not yet taken. */
  get size(): number {
    return this.seen.size;
  }

  /** Records what a watcher event saw of `name` at context time `now`. */
  observe(name: string, size: number, mtimeMs: number, now: number): void {
    const s = this.seen.get(name);
    if (s === undefined || s.size !== size || s.mtimeMs !== mtimeMs) this.seen.set(name, { name, size, mtimeMs, since: now });
  }

  forget(name: string): void {
    this.seen.delete(name);
  }

  /** True when some file was stable long enough at its last observation (graceful stop drains these). */
  anyDue(now: number): boolean {
    for (const s of this.seen.values()) if (now - s.since >= this.stableMs) return true;
    return false;
  }

  /**
   * Re-reads every file and removes and returns those unchanged for `stableMs` at `now`, sorted
   * by name. A file that changed starts its period again; a file that is gone is forgotten.
   */
  async takeStable(now: number): Promise<SeenFile[]> {
    const taken: SeenFile[] = [];
    for (const s of [...this.seen.values()]) {
      let size: number;
      let mtimeMs: number;
      try {
        ({ size, mtimeMs } = await stat(join(this.directory, s.name)));
      } catch {
        this.seen.delete(s.name); // removed before it was taken
        continue;
      }
      if (size !== s.size || mtimeMs !== s.mtimeMs) this.seen.set(s.name, { name: s.name, size, mtimeMs, since: now });
      else if (now - s.since >= this.stableMs) {
        this.seen.delete(s.name);
        taken.push(s);
      }
    }
    return taken.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
