import type { StreamingContext } from "../../lib/streaming-context.js";

/**
 * The protocol of a SIGKILL test's child job (support/child-job.ts): prints `commit <time> <n>`
 * after each batch, where `counted` holds each batch's count of what the job has consumed, and
 * once it reaches `total`, stops, prints `done <first state operator's state as JSON>` and exits 0.
 * Starts the context; a failed job prints its error and exits 1. `onCommit` sees each committed
 * batch's count (a receiver may pace itself by it).
 */
export async function reportUntilDone(
  ssc: StreamingContext,
  counted: Map<number, number>,
  total: number,
  options: { onCommit?: (n: number) => void } = {},
): Promise<void> {
  let finishing = false;
  ssc.addStreamingListener({
    onBatchCompleted({ batchInfo }) {
      const t = batchInfo.batchTime;
      const n = counted.get(t) ?? 0;
      counted.delete(t);
      options.onCommit?.(n);
      process.stdout.write(`commit ${t} ${n}\n`);
      if (n === total && !finishing) {
        finishing = true;
        const state = ssc.graph.stateOperators[0]!.snapshot();
        void ssc.stop().then(() => {
          process.stdout.write(`done ${JSON.stringify(state)}\n`);
          process.exit(0);
        });
      }
    },
  });
  process.stdout.write(`started recovered=${ssc.recovered}\n`);
  await ssc.start();
  ssc.awaitTermination().catch((err: unknown) => {
    process.stderr.write(`job failed: ${String(err)}\n`);
    process.exit(1);
  });
}
