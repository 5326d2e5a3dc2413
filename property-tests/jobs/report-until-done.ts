import type { StreamingContext } from "../../lib/streaming-context.js";

/** Options of {@link reportUntilDone}. */
export interface ReportOptions {
  /** Sees each committed batch's count (a receiver may pace itself by it). */
  onCommit?: (n: number) => void;
  /** Appended (after a space) to every `commit` line: e.g. a receiver's duplicates, a member's partitions. */
  extra?: () => string;
  /** What the `done` line holds: the first state operator's state as JSON (default), or the count reached. */
  done?: "state" | "count";
  /** Print `done` and go on running (a group member another process stops); default: stop and exit 0. */
  keepRunning?: boolean;
}

/**
 * The protocol of a SIGKILL test's child job (support/child-job.ts, mq-sigkill, mq-group-sigkill):
 * prints `started recovered=<bool>`, then `commit <time> <n>[ <extra>]` after each batch, where
 * `counted` holds each batch's count of what the job has consumed, and once it reaches `total`
 * prints `done <state JSON | n>`, stops and exits 0. Starts the context; a failed job
 * prints its error and exits 1.
 */
export async function reportUntilDone(ssc: StreamingContext, counted: Map<number, number>, total: number, options: ReportOptions = {}): Promise<void> {
  const extra = (): string => (options.extra === undefined ? "" : ` ${options.extra()}`);
  let finishing = false;
  ssc.addStreamingListener({
    onBatchCompleted({ batchInfo }) {
      const t = batchInfo.batchTime;
      const n = counted.get(t) ?? 0;
      counted.delete(t);
      options.onCommit?.(n);
      process.stdout.write(`commit ${t} ${n}${extra()}\n`);
      if (n < total || finishing) return;
      finishing = true;
      const done = options.done === "count" ? String(n) : JSON.stringify(ssc.graph.stateOperators[0]!.snapshot());
      if (options.keepRunning === true) {
        process.stdout.write(`done ${done}\n`);
        return;
      }
      void ssc.stop().then(() => {
        process.stdout.write(`done ${done}\n`);
        process.exit(0);
      });
    },
  });
  process.stdout.write(`started recovered=${ssc.recovered}\n`);
  await ssc.start();
  ssc.awaitTermination().catch((err: unknown) => {
    process.stderr.write(`job failed: ${String(err)}\n`);
    process.exit(1);
  });
}
