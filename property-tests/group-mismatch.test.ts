/**
 * A member started with different code (its state operator under another name: another graph
 * fingerprint) is refused with DSTREAM_CHECKPOINT_MISMATCH and the mismatch report, commits
 * nothing, and the member already running goes on to the exact result. Real NATS and PostgreSQL.
 */
import { describe, expect, it } from "vitest";
import { serviceAvailable } from "../lib/test-support/services.js";
import { waitUntil } from "../lib/test-support/wait-until.js";
import { GROUP_PARTITIONS } from "./jobs/word-lines.js";
import { GroupFixture } from "./support/group-run.js";

const LINES = 2_000;
const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));

describe.skipIf(!ready)("a group member with different code", () => {
  it("is refused with the mismatch report and does not disturb the running member", async () => {
    const g = await GroupFixture.create();
    try {
      const a = g.start("a");
      await g.followLog();
      await g.publishUpTo(LINES / 2);
      await waitUntil(() => a.id !== undefined, 60_000, () => `member a did not start:\n${g.describeMembers()}`);
      await g.waitUntilEveryPartitionCommitted(60_000, 0, a.id);

      const other = g.start("other", { DSTREAM_JOB_VARIANT: "other" });
      other.refusalExpected = true;
      const { code } = await Promise.race([other.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the mismatching member was not refused:\n${other.describe()}`)), 60_000))]);
      expect(code, other.stderr).toBe(1);
      expect(other.stderr).toMatch(/^error DSTREAM_CHECKPOINT_MISMATCH: /m);
      expect(other.stderr).toContain(`operator removed: StateDStream "totals"`);
      expect(other.stderr).toContain(`operator added: StateDStream "running-totals"`);
      expect(other.id).toBeUndefined();

      await g.publishUpTo(LINES);
      await g.waitForResults(LINES, 60_000);
      await a.stop();
      await g.expectExact(LINES);
      expect(new Set(g.commits.map((c) => c.member))).toEqual(new Set([a.id]));
      for (let p = 0; p < GROUP_PARTITIONS; p++) expect(g.holderOf(p)).toBe(a.id);
    } finally {
      await g.remove();
    }
  }, 180_000);
});
