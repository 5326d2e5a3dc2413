// Opens the LevelDB store in the directory given and reads every entry, then exits 0. Run in a
// child process by file-damage.test.ts: on some damage the native LevelDB aborts the process with
// an assertion (SIGABRT) instead of returning an error, which would take the test runner down.
import { Level } from "level";

const db = new Level(process.argv[2], { keyEncoding: "buffer", valueEncoding: "buffer" });
try {
  await db.open();
  for await (const entry of db.iterator()) void entry;
  await db.close();
} catch {
  // An error is what the engine turns into a coded error: not this probe's concern.
}
process.exit(0);
