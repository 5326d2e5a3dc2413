import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";

/**
 * Temporary directories for one test file, each removed after its test. Call it at the top of the
 * file, before other afterEach hooks: vitest runs after-hooks last-registered first, so a context
 * stopped by a later hook is stopped before its directory goes.
 */
export function tempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

// Directories made by tempDirSync, removed when the test file that imported this module ends.
// The hook is registered while the file is collected (this module's first import), because
// helpers such as StreamTest create directories inside tests, where hooks cannot be added.
const fileDirs = new Set<string>();
afterAll(() => {
  for (const d of fileDirs) rmSync(d, { recursive: true, force: true, maxRetries: 5 });
  fileDirs.clear();
});

/** A temporary directory, made now, removed at the end of the current test file at the latest. */
export function tempDirSync(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  fileDirs.add(d);
  return d;
}
