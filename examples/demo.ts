/** Small helpers the standalone examples share: feeding a queue on a timer, running for a while. */
import type { StreamingContext } from "dstream";

/** Pushes `make(i)` onto `queue` every `everyMs` (i = 0, 1, …) until the context stops. */
export function feedQueue<T>(ssc: StreamingContext, queue: T[][], make: (i: number) => T[], everyMs = 1000): void {
  let i = 0;
  const timer = setInterval(() => queue.push(make(i++)), everyMs);
  void ssc.awaitTermination().finally(() => clearInterval(timer)).catch(() => undefined);
}

/** Starts `ssc`, lets it run `seconds`, then stops it gracefully (everything received is processed). */
export async function runFor(ssc: StreamingContext, seconds: number): Promise<void> {
  await ssc.start();
  if (!(await ssc.awaitTerminationOrTimeout(seconds * 1000))) await ssc.stop({ stopGracefully: true });
  await ssc.awaitTermination();
}

/** The value of `--name <n>` on the command line, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) ? v : fallback;
}

/** The value of `--name <s>` on the command line, or `fallback`. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i < 0 ? undefined : process.argv[i + 1]) ?? fallback;
}
