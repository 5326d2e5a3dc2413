/**
 * The `dstream` command. `dstream inspect <checkpointDir> [--json]` prints what a checkpoint holds
 * without modifying it. Coded errors print as `error <CODE>: <message>` and exit 1; usage errors
 * exit 2.
 */
import { StreamingError } from "../errors.js";
import { formatReport } from "./format-report.js";
import { inspectCheckpoint } from "./inspect.js";

const USAGE = `usage: dstream inspect <checkpointDir> [--json] [--no-lag]

  inspect   print a checkpoint's format version, batch duration, zero time, last committed batch,
            pending batches, WAL blocks per receiver, state per operator and snapshots.
            Reads a private copy: the checkpoint is never modified. --json for scripts.
            jetStream inputs: offsets per partition, and the lag the server reports
            (--no-lag: do not contact the server).`;

/** Where the command writes (process.stdout and process.stderr, or a test's buffer). */
export interface Writer {
  write(text: string): unknown;
}

/** Runs the command with `args` (without node and the script); resolves with the exit code. */
export async function main(args: string[], out: Writer = process.stdout, err: Writer = process.stderr): Promise<number> {
  const json = args.includes("--json");
  const lag = !args.includes("--no-lag");
  const rest = args.filter((a) => a !== "--json" && a !== "--no-lag");
  if (rest[0] === "--help" || rest[0] === "-h" || rest[0] === "help") {
    out.write(`${USAGE}\n`);
    return 0;
  }
  if (rest[0] !== "inspect" || rest.length !== 2 || rest[1]?.startsWith("-") === true) {
    err.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const report = await inspectCheckpoint(rest[1] as string, { lag });
    out.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return 0;
  } catch (e) {
    if (!StreamingError.is(e)) throw e;
    if (json) out.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    err.write(`error ${e.code}: ${e.message}\n`);
    return 1;
  }
}
