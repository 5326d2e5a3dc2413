/** Maps `level` failures to dstream's storage error codes (DESIGN.md §8). */
import { ErrorCodes, StorageError } from "../errors.js";

interface CodedError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** True when `err` or any error in its `cause` chain has `code`. */
function hasCode(err: unknown, code: string): boolean {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 8; depth++) {
    if ((e as CodedError).code === code) return true;
    e = (e as CodedError).cause;
  }
  return false;
}

/** The chained messages of `err` and its causes, to look for the OS's words. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 8; depth++) {
    out.push(String((e as CodedError).message));
    e = (e as CodedError).cause;
  }
  return out.join(" / ");
}

/**
 * STORAGE_LOCKED for `dir`, naming the process that holds it when known (`holder`, from
 * lock-holder.ts): this one (another context or store opened it), or another (a job running on it).
 */
export function lockedError(dir: string, holder: number | undefined, cause: unknown): StorageError {
  const who =
    holder === process.pid
      ? "this process already has it open (another StreamingContext or store on the same directory). Stop that one first"
      : holder !== undefined
        ? `process ${holder} is using it (a job running on it, often in another terminal). Stop that job (Ctrl-C stops it gracefully)`
        : "another process (or another open in this process) is using it. Stop the other job";
  return new StorageError(ErrorCodes.STORAGE_LOCKED, `Checkpoint directory ${dir} is locked: ${who}, or give this one a different checkpoint directory.`, { cause });
}

/** The StorageError for a failure of `action` on the database in `dir`. */
export function mapLevelError(err: unknown, dir: string, action: string): StorageError {
  if (err instanceof StorageError) return err;
  const text = messages(err);
  if (hasCode(err, "LEVEL_LOCKED")) return lockedError(dir, undefined, err);
  if (hasCode(err, "ENOSPC") || /no space left on device|ENOSPC/i.test(text)) {
    return new StorageError(ErrorCodes.STORAGE_FULL, `Disk full while trying to ${action} in ${dir}: ${text}. Free space and restart.`, {
      cause: err,
    });
  }
  // A file cut short or gone that LevelDB's own records name (a table, the manifest CURRENT names):
  // LevelDB reads past its end ("Invalid argument") or cannot find it, and calls that an I/O error.
  // The directory exists (it was created before opening) and the disk works: the checkpoint is damaged.
  if (hasCode(err, "LEVEL_CORRUPTION") || /\.(ldb|sst): Invalid argument|IO error: [^/]*\/.*: No such file or directory/.test(text)) {
    return new StorageError(ErrorCodes.STORAGE_CORRUPT, `LevelDB reports corruption in ${dir} while trying to ${action}: ${text}`, {
      cause: err,
    });
  }
  return new StorageError(ErrorCodes.STORAGE_IO, `Failed to ${action} in ${dir}: ${text}`, { cause: err });
}
