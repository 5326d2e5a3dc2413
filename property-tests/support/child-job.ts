/**
 * Runs a job file in a child process (node --import tsx) for the SIGKILL tests and kills it: the
 * job prints `crash-point …` before killing itself and `commit …` after each batch.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** How one run of the job ended. */
export interface ChildRun {
  killed: boolean;
  /** The `crash-point …` line, when the job killed itself. */
  crashPoint: string | undefined;
  stderr: string;
}

/**
 * Runs `job` once with `env` added. `killAfterMs`: the parent kills it that long after its first
 * `commit` line; `stop`: killed when it aborts. `onLine` sees every stdout line. Rejects when the job fails, or dies without a
 * crash point or a parent kill (a timeout after `timeoutMs`).
 */
export function runChild(job: string, env: Record<string, string>, killAfterMs: number | undefined, onLine: (line: string) => void, timeoutMs = 30_000, stop?: AbortSignal): Promise<ChildRun> {
  const child = spawn(process.execPath, ["--import", "tsx", job], { cwd: repo, env: { ...process.env, ...env } });
  const run: ChildRun = { killed: false, crashPoint: undefined, stderr: "" };
  // `stop` aborted: the test is done with this job (another process finished the work).
  const onStop = (): void => void child.kill("SIGKILL");
  if (stop?.aborted) onStop();
  else stop?.addEventListener("abort", onStop, { once: true });
  let buffered = "";
  let killTimer: NodeJS.Timeout | undefined;
  const guard = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  child.stderr.on("data", (d: Buffer) => (run.stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("crash-point ")) run.crashPoint = line;
      else if (line.startsWith("commit ") && killAfterMs !== undefined && killTimer === undefined) killTimer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      onLine(line);
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      stop?.removeEventListener("abort", onStop);
      run.killed = signal === "SIGKILL";
      if (!run.killed && code !== 0) reject(new Error(`job exited with ${code}: ${run.stderr}`));
      else if (run.killed && run.crashPoint === undefined && killAfterMs === undefined && stop?.aborted !== true) reject(new Error(`job killed unexpectedly (timeout?): ${run.stderr}`));
      else resolve(run);
    });
  });
}

/** One run of a kill plan: the child kills itself at a crash point, or the parent kills it after a delay. */
export type KillStep = { point: string } | { afterMs: number };

/**
 * Runs `job` again and again, one step of `plan` per run (crash point runs get
 * `DSTREAM_CRASH_AT` and a random `DSTREAM_CRASH_SKIP` of 0..2), then without kills, until a run
 * prints `done …`. `onRunning(i)` starts at run i's first commit, after any catch-up of the time
 * it was down (a test feeds the job's input there, as a live stream would). Returns what each kill
 * was and the rest of the `done` line.
 */
export async function runUntilDone(
  job: string,
  env: Record<string, string>,
  plan: readonly KillStep[],
  random: () => number,
  timeoutMs: number,
  onRunning?: (run: number) => Promise<void>,
): Promise<{ kills: string[]; done: string }> {
  const kills: string[] = [];
  const steps = [...plan];
  for (let run = 0; run < plan.length + 5; run++) {
    let feeding: Promise<void> | undefined;
    const step = steps.shift();
    const runEnv = step !== undefined && "point" in step ? { ...env, DSTREAM_CRASH_AT: step.point, DSTREAM_CRASH_SKIP: String(Math.floor(random() * 3)) } : env;
    let done: string | undefined;
    const onLine = (line: string): void => {
      if (line.startsWith("done ")) done = line.slice(5);
      if (line.startsWith("commit ") && onRunning !== undefined) feeding ??= onRunning(run);
    };
    const result = await runChild(job, runEnv, step !== undefined && "afterMs" in step ? step.afterMs : undefined, onLine, timeoutMs);
    await feeding;
    if (result.killed) kills.push(result.crashPoint ?? `parent kill after ${(step as { afterMs: number }).afterMs} ms`);
    if (done !== undefined) return { kills, done };
  }
  throw new Error(`job not done after ${plan.length + 5} runs; kills: ${kills.join("; ")}`);
}
