/**
 * Creates a checkpoint directory and its missing parents one level at a time. Node's recursive
 * `mkdir` never settles for a path it cannot create under some pseudo file systems (under /proc,
 * `mkdir` reports ENOENT for a parent that exists, and the recursion retries forever), and
 * classic-level calls it on open: creating the directory here first turns that hang into an error.
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ErrorCodes, StorageError } from "../errors.js";

/** Makes sure `dir` exists as a directory; STORAGE_IO naming it (and the OS's reason) otherwise. */
export async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const found = await stat(at).then(
      (s) => s,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return undefined;
        throw cannot(dir, err);
      },
    );
    if (found !== undefined) {
      if (!found.isDirectory()) throw cannot(dir, new Error(`${at} is not a directory`));
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw cannot(dir, err);
    });
  }
}

function cannot(dir: string, err: Error): StorageError {
  return new StorageError(ErrorCodes.STORAGE_IO, `Cannot create checkpoint directory ${dir}: ${err.message}. Choose a directory on a writable file system.`, { cause: err });
}
