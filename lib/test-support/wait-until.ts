/**
 * Polls `check` every `intervalMs` until it holds; fails with `what()` (say what was expected and
 * what is there) after `timeoutMs`. For tests and benchmarks that wait on other processes.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
