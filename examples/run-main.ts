import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { StreamingError } from "dstream";

/** True when the module at `url` is the script node was started with (not imported by a test). */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/** Runs an example's main; a coded error prints as `error CODE: message` and exits 1, without a stack. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (StreamingError.is(err)) console.error(`error ${err.code}: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
  });
}
