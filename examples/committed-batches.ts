/** What a run committed, for the line the main job prints when it stops. */
import type { BatchInfo, StreamingListener } from "dstream";

/**
 * Counts the batches this process completed (a batch completes after its commit) and the records
 * in them, and remembers the last one.
 */
export class CommittedBatches implements StreamingListener {
  batches = 0;
  records = 0;
  lastBatchTime: number | undefined;

  onBatchCompleted(e: { batchInfo: BatchInfo }): void {
    this.batches++;
    this.records += e.batchInfo.numRecords;
    this.lastBatchTime = e.batchInfo.batchTime;
  }

  /** `stopped after batch <time> (<ISO time>), <n> records committed in <b> batches by this run; checkpoint <dir>`. */
  summary(checkpointDir: string): string {
    if (this.lastBatchTime === undefined) return `stopped before any batch completed: this run committed nothing; checkpoint ${checkpointDir}`;
    const n = this.records.toLocaleString("en-US");
    return `stopped after batch ${this.lastBatchTime} (${new Date(this.lastBatchTime).toISOString()}), ${n} records committed in ${this.batches} batches by this run; checkpoint ${checkpointDir}`;
  }
}
