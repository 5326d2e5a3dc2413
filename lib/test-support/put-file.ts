import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Puts file `name` into the watched directory `dir` whole, as README tells writers to: written as a
 * dot-file (which textFileStream ignores), then renamed. A file written in place may be seen empty
 * first and change after the clock moved on, so that its batch finds it not yet stable (a busy
 * machine did so, failing tests that expected the file in that batch).
 */
export async function putFile(dir: string, name: string, content: string): Promise<void> {
  const writing = join(dir, `.${name}.writing`);
  await writeFile(writing, content);
  await rename(writing, join(dir, name));
}
