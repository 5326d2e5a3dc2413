/**
 * Opening a LevelDB database writes to it (a new log file, a new manifest, compaction of the old
 * log), so `dstream inspect` never opens the checkpoint itself: it opens a private copy. Table
 * files (`.ldb`/`.sst`) are immutable and are hard-linked when the file system allows; everything
 * else (log, manifest, CURRENT) is copied, since LevelDB may append to or replace those.
 */
import { copyFile, link, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCodes, StorageError } from "../errors.js";
import { lockHolder } from "../storage/lock-holder.js";

/** Throws STORAGE_LOCKED when a process holds LevelDB's lock on `dir` (Linux: /proc/locks). */
export async function assertNotLocked(dir: string): Promise<void> {
  const holder = await lockHolder(dir);
  if (holder === undefined) return;
  throw new StorageError(
    ErrorCodes.STORAGE_LOCKED,
    `Checkpoint directory ${dir} is locked by process ${holder}: a job is running on it. ` +
      "Stop the job (Ctrl-C stops it gracefully), then inspect it; inspect never reads a checkpoint that is being written.",
  );
}

/** Which directory inspect wants, for the errors of a wrong one. */
const WHICH_DIR = "Give the directory the job checkpoints to: its getOrCreate(dir) or checkpoint(dir), e.g. ./checkpoints/word-count.";

/** Copies the database in `dir` to a new temporary directory; the caller removes it with {@link removeCopy}. */
export async function readOnlyCopy(dir: string): Promise<string> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error("not a directory");
    names = await readdir(dir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (err as Error).message;
    throw new StorageError(ErrorCodes.STORAGE_IO, `Cannot read checkpoint directory ${dir}: ${why}. ${WHICH_DIR}`, { cause: err });
  }
  if (!names.includes("CURRENT")) {
    throw new StorageError(ErrorCodes.STORAGE_CORRUPT, `${dir} is not a checkpoint directory: it holds no LevelDB database (no CURRENT file). ${WHICH_DIR}`);
  }
  const copy = await mkdtemp(join(tmpdir(), "dstream-inspect-"));
  try {
    for (const name of names) {
      if (name === "LOCK") continue;
      const from = join(dir, name);
      const to = join(copy, name);
      if (!(await stat(from)).isFile()) continue;
      if (/\.(ldb|sst)$/.test(name)) {
        try {
          await link(from, to);
          continue;
        } catch {
          // another file system, or links not allowed: copy instead
        }
      }
      await copyFile(from, to);
    }
  } catch (err) {
    await removeCopy(copy);
    throw new StorageError(ErrorCodes.STORAGE_IO, `Cannot copy checkpoint directory ${dir} for reading: ${(err as Error).message}`, { cause: err });
  }
  return copy;
}

/** Removes a copy made by {@link readOnlyCopy}. */
export async function removeCopy(copy: string): Promise<void> {
  await rm(copy, { recursive: true, force: true });
}
