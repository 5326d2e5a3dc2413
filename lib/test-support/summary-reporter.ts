import type { Reporter } from "vitest/reporters";

type Task = { type: string; mode?: string; result?: { state?: string }; tasks?: Task[] };

/**
 * Ends a test run with one plain line, `N passed, N failed, N skipped`, that tools reading the
 * output (CI) understand whatever the runner.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: readonly Task[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (t: Task): void => {
      if (t.type === "test") {
        const state = t.result?.state;
        if (state === "pass") counts.passed++;
        else if (state === "fail") counts.failed++;
        else counts.skipped++;
      }
      for (const child of t.tasks ?? []) visit(child);
    };
    for (const f of files) visit(f);
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
