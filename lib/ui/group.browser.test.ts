import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../test-support/chromium.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { oneMemberWordCount, removeGroup } from "../test-support/group-fixture.js";
import { testStream, uniqueName } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { tempDirs } from "../test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-ui-group-");
const hasChromium = chromiumAvailable();
const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();
const PARTITIONS = 4;

// Predicates run in the page (Playwright sends their source); this names its global for tsc.
declare const document: any;

/** Waits (polling, with a deadline) until `fn(arg)` is true in the page; `fn` runs there. */
async function until(page: Page, what: string, fn: (arg: number) => unknown, arg = 0): Promise<void> {
  try {
    await page.waitForFunction(fn, arg, { timeout: 30_000, polling: 100 });
  } catch (err) {
    throw new Error(`page never showed: ${what}`, { cause: err });
  }
}

describe.skipIf(!hasChromium || !nats)("the live UI of a group member in headless Chromium", () => {
  it("shows the Group section: the member with its partitions and epochs, each partition's holder, last commit, snapshot and lag", async () => {
    const s = await testStream();
    cleanup(() => s.remove());
    for (let i = 0; i < 40; i++) await s.publish(i % PARTITIONS, `sensor-${i % 7} sensor-${i % 3}`);
    const group = uniqueName("uig");
    cleanup(() => removeGroup(group));
    const job = await oneMemberWordCount(s, { group, partitions: PARTITIONS, appName: "group-counts", ui: true });
    cleanup(() => job.ssc.stop().catch(() => undefined));
    const memberId = job.ssc.group!.memberId;

    const browser: BrowserContext = await launchChromium(await tempDir());
    cleanup(() => browser.close());
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(job.ssc.uiUrl as string);
    await until(page, "the live indicator", () => document.querySelector("#live").classList.contains("on"));
    expect(await page.isHidden("#group-section")).toBe(true); // no batch yet: the group is not read yet

    // Batches run until the page shows every partition committed at one batch time, 6000 or later
    // (the group is read at most every 2 s, when a batch finishes with the page open).
    const settled = (): boolean => {
      const cells = [...document.querySelectorAll("#group-partitions tr[data-partition]")].map((r: any) => r.children[2].textContent);
      return cells.length === 4 && cells.every((c: string) => c === cells[0] && c >= "1970-01-01 00:00:06");
    };
    const deadline = Date.now() + 30_000;
    while (!(await page.evaluate(settled))) {
      if (Date.now() > deadline) throw new Error(`the page never showed every partition committed at 6000 or later: ${await page.textContent("#group-section")}`);
      if (job.clock.now() < 12_000) await job.runThrough(job.clock.now() + 1000);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await page.isVisible("#group-section")).toBe(true);
    expect(await page.textContent("#group-name")).toBe(group);
    expect(await page.textContent("#group-line")).toContain(`This member: ${memberId}, holding partitions 0, 1, 2, 3. 4 partitions, 1 live member`);
    // The heartbeat age is wall-clock time since the last renewal: "840 ms", or "1.22 s" on a busy machine.
    const member = await page.locator("#group-members tr[data-member]").allInnerTexts();
    expect(member).toEqual([expect.stringMatching(new RegExp(`^${memberId} \\(this member\\)\\s+live\\s+(\\d+ ms|\\d+(\\.\\d+)? s)\\s+0 \\(1\\), 1 \\(1\\), 2 \\(1\\), 3 \\(1\\)$`))]);
    const rows = await page.locator("#group-partitions tr[data-partition]").allInnerTexts();
    expect(rows).toHaveLength(PARTITIONS);
    rows.forEach((row, p) => expect(row).toMatch(new RegExp(`^${p}\\s+${memberId}\\s+1970-01-01 00:00:\\d\\d\\s+${memberId}\\s+-\\s+1970-01-01 00:00:\\d\\d\\s+\\d+\\s+0$`)));
    await page.locator("#group-section").scrollIntoViewIfNeeded();
    const shots = process.env.DSTREAM_UI_SCREENSHOTS ?? (await tempDir());
    await page.screenshot({ path: join(shots, "ui-group.png"), fullPage: false });
    await page.screenshot({ path: join(shots, "ui-group-full.png"), fullPage: true });
    expect(problems).toEqual([]);
  });
});
