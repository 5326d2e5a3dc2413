import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";

/**
 * One process on the checkpoint in `dir`, as a test runs it: getOrCreate with `setup` (given the
 * process's ManualClock, starting at `startAt`), start, run `batches` batches, stop (also when a
 * batch fails, so the directory is released).
 */
export async function runOnce(dir: string, startAt: number, batches: number, batchDuration: number, setup: (clock: ManualClock) => StreamingContext): Promise<void> {
  const clock = new ManualClock(startAt);
  const ssc = await StreamingContext.getOrCreate(dir, () => setup(clock));
  try {
    await ssc.start();
    await clock.advance(batches * batchDuration);
  } finally {
    await ssc.stop();
  }
}
