/**
 * The `dstream` command. `dstream inspect <checkpointDir> [--json]` prints what a checkpoint holds
 * without modifying it; `dstream inspect --group <name>` what a group of processes holds in
 * JetStream, without joining it. Coded errors print as `error <CODE>: <message>` and exit 1; usage errors
 * exit 2.
 */
import { StreamingError } from "../errors.js";
import { formatGroupReport, formatReport } from "./format-report.js";
import { inspectCheckpoint } from "./inspect.js";
import { DEFAULT_SERVERS, inspectGroup } from "./inspect-group.js";

const USAGE = `usage: dstream inspect <checkpointDir> [--json] [--no-lag]
       dstream inspect --group <name> [--servers <url>[,<url>…]] [--lease-ms <ms>] [--json]

  inspect   print a checkpoint's format version, batch duration, zero time, last committed batch,
            pending batches, WAL blocks per receiver, state per operator and snapshots.
            Reads a private copy: the checkpoint is never modified. --json for scripts.
            jetStream inputs: offsets per partition, and the lag the server reports
            (--no-lag: do not contact the server).
  --group   a group of processes on JetStream (default server ${DEFAULT_SERVERS}): its meta,
            live members with their partitions, lease epochs and heartbeat age, and per partition
            its holder, last commit (and by whom), pending plan, newest snapshot, log entries kept
            and lag in batches. Writes nothing. --lease-ms: the members' leaseMs (default 10000),
            which decides who counts as live.`;

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
  if (rest[0] === "inspect" && rest.includes("--group")) return inspectGroupCommand(rest.slice(1), json, out, err);
  const problem = commandLineProblem(rest);
  if (problem !== undefined) return usageError(problem, err);
  try {
    const report = await inspectCheckpoint(rest[1] as string, { lag });
    out.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return 0;
  } catch (e) {
    return failed(e, json, out, err);
  }
}

/** `inspect --group <name> [--servers …] [--lease-ms …]` (`args` after "inspect", without --json). */
async function inspectGroupCommand(args: string[], json: boolean, out: Writer, err: Writer): Promise<number> {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i] as string, args[i + 1]];
    if (!["--group", "--servers", "--lease-ms"].includes(flag)) return usageError(`unknown option or argument ${JSON.stringify(flag)} for inspect --group`, err);
    if (value === undefined || value.startsWith("-")) return usageError(`${flag} needs a value`, err);
    if (values.has(flag)) return usageError(`${flag} is given twice`, err);
    values.set(flag, value);
  }
  const leaseMs = values.has("--lease-ms") ? Number(values.get("--lease-ms")) : undefined;
  if (leaseMs !== undefined && !(Number.isFinite(leaseMs) && leaseMs > 0)) {
    return usageError(`--lease-ms must be a number of milliseconds > 0; got ${values.get("--lease-ms")}`, err);
  }
  try {
    const servers = values.get("--servers")?.split(",");
    const report = await inspectGroup(values.get("--group") as string, { ...(servers === undefined ? {} : { servers }), ...(leaseMs === undefined ? {} : { leaseMs }) });
    out.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatGroupReport(report)}\n`);
    return 0;
  } catch (e) {
    return failed(e, json, out, err);
  }
}

/** What is wrong with `inspect <checkpointDir>`'s command line (`args` without --json and --no-lag), if anything. */
function commandLineProblem(args: string[]): string | undefined {
  const [command, ...rest] = args;
  if (command === undefined) return "no command given";
  if (command !== "inspect") return `unknown command ${JSON.stringify(command)}; the command is inspect`;
  const option = rest.find((a) => a.startsWith("-"));
  if (option !== undefined) return `unknown option ${JSON.stringify(option)}`;
  if (rest.length === 0) return "inspect needs a checkpoint directory (or --group <name>)";
  if (rest.length > 1) return `inspect takes one checkpoint directory; got ${rest.length}: ${rest.join(" ")}`;
  return undefined;
}

/** A wrong command line: what is wrong, then the usage, on stderr; exit code 2. */
function usageError(problem: string, err: Writer): number {
  err.write(`error: ${problem}\n\n${USAGE}\n`);
  return 2;
}

/** A coded error: printed (and as JSON with --json), exit 1; anything else is a bug and throws. */
function failed(e: unknown, json: boolean, out: Writer, err: Writer): number {
  if (!StreamingError.is(e)) throw e;
  if (json) out.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
  err.write(`error ${e.code}: ${e.message}\n`);
  return 1;
}
