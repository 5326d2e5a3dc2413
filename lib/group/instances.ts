/**
 * One command for every core of a machine: starts N members of a group job as child processes of
 * this one (DESIGN.md §10: a member is just another process running the same code).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** What `runInstances` starts. */
export interface InstancesOptions {
  /** The job script every member runs (a `.ts` file runs through tsx, as this process does). */
  script: string;
  /** Its command-line arguments, the same for every member. */
  args?: readonly string[];
  /** How many members: a positive integer. */
  instances: number;
  /** Added to this process's environment for every member (each also gets DSTREAM_MEMBER_INDEX). */
  env?: Record<string, string>;
  /** Where the members' prefixed lines go; default this process's stdout and stderr. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** How one member ended: its exit code, or the signal that ended it. */
export interface MemberExit {
  member: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Signals a terminal or a service manager sends: forwarded so that every member stops gracefully. */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/**
 * Starts `instances` members of `script` with node and the same loader flags as this process
 * (`--import tsx`, `--conditions=…`; inspector flags are left out: members would contend for the
 * port), each with DSTREAM_MEMBER_INDEX = 0…N-1. Every line a member prints goes to this
 * process's stdout or stderr prefixed with `[member i] `. SIGINT and SIGTERM sent to this process
 * go to every member still running (a dstream job with `stopGracefullyOnShutdown` ignores, within a second, the
 * repeat it gets when Ctrl-C also reached it from the terminal). Resolves, once every member has
 * exited, with how each ended, in member order.
 */
export async function runInstances(options: InstancesOptions): Promise<MemberExit[]> {
  const { script, args = [], instances, env = {} } = options;
  if (typeof script !== "string" || script === "") throw new TypeError(`runInstances: script must be a file path; got ${String(script)}`);
  if (!Number.isInteger(instances) || instances < 1) throw new RangeError(`runInstances: instances must be a positive integer; got ${String(instances)}`);
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const execArgv = memberExecArgv(script);
  const children: ChildProcess[] = [];
  const forward = (signal: NodeJS.Signals): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    const exits = Array.from({ length: instances }, (_, member) => {
      const child = spawn(process.execPath, [...execArgv, script, ...args], {
        env: { ...process.env, ...env, DSTREAM_MEMBER_INDEX: String(member) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      const prefix = `[member ${member}] `;
      const outDone = prefixLines(child.stdout!, prefix, stdout);
      const errDone = prefixLines(child.stderr!, prefix, stderr);
      return new Promise<MemberExit>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code, signal) => void Promise.all([outDone, errDone]).then(() => resolve({ member, code, signal })));
      });
    });
    return await Promise.all(exits);
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
    forward("SIGKILL");
  }
}

/**
 * The node flags a member starts with: this process's, minus inspector flags; plus `--import tsx`
 * for a TypeScript script when this process runs without tsx (a compiled launcher).
 */
function memberExecArgv(script: string): string[] {
  const argv = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  if (/\.[cm]?ts$/.test(script) && !argv.some((a) => a.includes("tsx"))) argv.unshift("--import", "tsx");
  return argv;
}

/** Copies `from` to `to` line by line, each line prefixed; a last line without newline gets one. */
function prefixLines(from: NodeJS.ReadableStream, prefix: string, to: NodeJS.WritableStream): Promise<void> {
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on("line", (line) => to.write(`${prefix}${line}\n`));
  return new Promise((resolve) => lines.once("close", resolve));
}
