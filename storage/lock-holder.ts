import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * The id of the process that holds LevelDB's lock on the database in `dir` (Linux: /proc/locks),
 * or undefined when none does, or it cannot be told (no /proc, no LOCK file).
 */
export async function lockHolder(dir: string): Promise<number | undefined> {
  let locks: string;
  let lockFile;
  try {
    locks = await readFile("/proc/locks", "utf8");
    lockFile = await stat(join(dir, "LOCK"));
  } catch {
    return undefined; // no /proc (not Linux) or no LOCK file: nothing to tell
  }
  const major = Math.floor(lockFile.dev / 256) & 0xfff;
  const minor = (lockFile.dev & 0xff) | ((lockFile.dev >> 12) & 0xfff00);
  for (const line of locks.split("\n")) {
    // e.g. "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 0 EOF"
    const m = /\s(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m === null || Number(m[4]) !== lockFile.ino) continue;
    if (parseInt(m[2] ?? "", 16) !== major || parseInt(m[3] ?? "", 16) !== minor) continue;
    return Number(m[1]);
  }
  return undefined;
}
