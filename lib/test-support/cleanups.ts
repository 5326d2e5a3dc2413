import { afterEach } from "vitest";

/**
 * Cleanups for one test file, run after each test, last registered first (a context stops before
 * the stream or table it wrote to is removed). Call at the top of the file.
 */
export function cleanupsAfterEach(): (cleanup: () => Promise<unknown>) => void {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return (cleanup) => void cleanups.push(cleanup);
}
