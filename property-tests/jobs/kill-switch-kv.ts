/**
 * A {@link KvStore} wrapper for the SIGKILL job: at a chosen kind of write it kills its own
 * process with SIGKILL, before, during or after the write, as `DSTREAM_CRASH_AT` says. It arms
 * only after a commit that holds state, then lets `skip` matching writes pass first.
 */
import { decodeValue } from "../../storage/codec.js";
import { decodeKey } from "../../storage/keys.js";
import type { KvOp, KvStore, KvWriteOptions } from "../../storage/kv.js";
import { PassThroughKv } from "../../storage/pass-through-kv.js";
import { kindOf } from "../support/observed-kv.js";

/** The crash points, each at one step of a batch or of the background work. */
export const CRASH_POINTS = ["after-wal-append", "before-commit-write", "after-commit-before-cleanup", "during-snapshot", "during-cleanup"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const target: Record<CrashPoint, string> = {
  "after-wal-append": "wal",
  "before-commit-write": "commit",
  "after-commit-before-cleanup": "commit",
  "during-snapshot": "snapshot",
  "during-cleanup": "cleanup",
};

function die(point: CrashPoint, ops: readonly KvOp[]): never {
  // Writes to a pipe are synchronous on Linux: the parent sees the line before the process dies.
  process.stdout.write(`crash-point ${point} ${ops.map((o) => decodeKey(o.key).space).join(",")}\n`);
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: SIGKILL");
}

/** Passes everything to `inner`, and SIGKILLs the process at the chosen write. */
export class KillSwitchKv extends PassThroughKv {
  private armed = false;

  constructor(
    inner: KvStore,
    private readonly point: CrashPoint | undefined,
    private skip: number,
  ) {
    super(inner);
  }

  override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    const kind = kindOf(ops);
    const point = this.point;
    if (point === undefined || !this.armed || kind !== target[point] || this.skip-- > 0) {
      await this.inner.write(ops, options);
      if (kind === "commit" && !this.armed) this.armed = holdsState(ops);
      return;
    }
    switch (point) {
      case "before-commit-write":
        return die(point, ops);
      case "during-cleanup":
        // The batch is handed to LevelDB's thread, then the process dies while it may be in flight.
        void this.inner.write(ops, options).catch(() => undefined);
        return die(point, ops);
      default:
        // after-wal-append, after-commit-before-cleanup, during-snapshot (a chunk is written, the
        // manifest never is): the write is durable, then the process dies.
        await this.inner.write(ops, options);
        return die(point, ops);
    }
  }
}

function holdsState(ops: readonly KvOp[]): boolean {
  for (const op of ops) {
    if (op.type !== "put" || decodeKey(op.key).space !== "commit") continue;
    const record = decodeValue(op.key, op.value) as { deltas?: Record<string, unknown> };
    return Object.keys(record.deltas ?? {}).length > 0;
  }
  return false;
}
