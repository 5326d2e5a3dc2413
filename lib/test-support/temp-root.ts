/**
 * vitest global setup: the whole run gets its own temporary directory (TMPDIR, inherited by the
 * test workers and every child process they start), and at the end the run fails if a test left
 * anything in it. So a test that forgets to remove what it made is caught by name, and a run
 * leaves nothing in the system's temporary directory even when a test is killed halfway.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// tsx's compile cache: kept on purpose by the tsx child processes some tests start.
const ALLOWED = /^tsx-\d+$/;

export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), "dstream-run-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return async () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = (await readdir(root)).filter((name) => !ALLOWED.test(name));
    await rm(root, { recursive: true, force: true, maxRetries: 5 });
    if (left.length > 0) {
      const shown = left.slice(0, 20).join(", ") + (left.length > 20 ? ", …" : "");
      throw new Error(`tests left ${left.length} entries in their temporary directory (removed now): ${shown}`);
    }
  };
}
