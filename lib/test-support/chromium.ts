import { existsSync } from "node:fs";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium package; a browser download never works on these machines. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether Debian's chromium is installed. Under `CI=true` a missing browser is an error (.ci/run
 * installs it); elsewhere browser tests skip, and the reason is printed.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `${CHROMIUM} is missing (apt-get update && apt-get install -y chromium)`;
  if (process.env.CI === "true") throw new Error(`${why}; CI needs it`);
  console.warn(`skipping browser tests: ${why}`);
  return false;
}

/** Headless chromium on a fresh profile in `userDataDir`, with nothing reaching out to the network. */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
