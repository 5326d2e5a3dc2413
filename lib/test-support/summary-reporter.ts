import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Reporter } from "vitest/reporters";

type Task = { type: string; mode?: string; result?: { state?: string }; tasks?: Task[] };

type Counts = { passed: number; failed: number; skipped: number };

/**
 * Ends a test run with one plain line, `N passed, N failed, N skipped`, that tools reading the
 * output (CI) understand whatever the runner. `npm test` is two vitest runs (the serial files
 * after the rest); with DSTREAM_TEST_COUNTS naming a file, the first run leaves its counts there
 * and the serial run's line adds them, so the last line counts the whole suite.
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
    const file = process.env.DSTREAM_TEST_COUNTS;
    if (file !== undefined && file !== "") {
      if (process.env.DSTREAM_SERIAL === "1") {
        if (existsSync(file)) {
          const before = JSON.parse(readFileSync(file, "utf8")) as Counts;
          console.log(`\nserial files: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
          counts.passed += before.passed;
          counts.failed += before.failed;
          counts.skipped += before.skipped;
          rmSync(file, { force: true });
        }
      } else {
        writeFileSync(file, JSON.stringify(counts));
      }
    }
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
