/**
 * A member SIGSTOPped past its lease, then continued (DESIGN.md §10, leases and fenced commits):
 * the other member takes the paused one's partitions; once continued, the paused member commits
 * nothing for the partitions it lost (its in-flight batch is fenced: no batch of those partitions
 * is committed twice or after a newer one), it rejoins and holds partitions again, and the
 * results are exact. Two members, real NATS and PostgreSQL.
 */
import { describe, expect, it } from "vitest";
import { serviceAvailable } from "../lib/test-support/services.js";
import { waitUntil } from "../lib/test-support/wait-until.js";
import { GROUP_PARTITIONS } from "./jobs/word-lines.js";
import { GroupFixture } from "./support/group-run.js";

const LINES = 3_000;
const LEASE_MS = 3000;
const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));

describe.skipIf(!ready)("a group member paused past its lease", () => {
  it("loses its partitions, commits nothing for them once continued, and rejoins", async () => {
    const g = await GroupFixture.create({ leaseMs: LEASE_MS });
    try {
      const a = g.start("a");
      const b = g.start("b");
      await g.followLog();
      let producing = true;
      const producer = g.produceOver(LINES, 20_000).finally(() => (producing = false));
      // Awaited below; if the test fails first, its failure is the one to report, not this.
      producer.catch(() => undefined);
      const holders = (): Set<string | undefined> => new Set(Array.from({ length: GROUP_PARTITIONS }, (_, p) => g.holderOf(p)));
      await waitUntil(() => a.id !== undefined && b.id !== undefined && holders().has(a.id) && holders().has(b.id), 90_000, () => `both members did not come to hold partitions:\n${g.describeMembers()}`);

      const lost = Array.from({ length: GROUP_PARTITIONS }, (_, p) => p).filter((p) => g.holderOf(p) === a.id);
      const pausedAt = g.lastSeq;
      a.signal("SIGSTOP");
      // b takes every partition a held, and commits a few batches of each while a is still paused.
      await waitUntil(() => lost.every((p) => g.commitsBy(b.id, pausedAt, p).length >= 3), 60_000, () => `member b did not take over ${lost.join(", ")}:\n${g.describeMembers()}`);
      const continuedAt = g.lastSeq;
      a.signal("SIGCONT");
      await waitUntil(() => g.commitsBy(a.id, continuedAt).length > 0, 60_000, () => `member a did not commit again after SIGCONT:\n${g.describeMembers()}`);
      console.log(`[group-pause] a held ${lost.join(", ")}; after SIGCONT a commits ${[...new Set(g.commitsBy(a.id, continuedAt).map((c) => c.partition))].join(", ")}`);

      await producer;
      expect(producing).toBe(false);
      await g.waitForResults(LINES, 90_000);
      await a.stop();
      await b.stop();
      await g.expectExact(LINES);
      // Each lost partition: once b committed it, a's commits of it (after a rejoined and took it
      // again) are of batches after b's, never a's own stale batch.
      for (const p of lost) {
        const takeover = g.commitsBy(b.id, pausedAt, p)[0]!;
        for (const c of g.commitsBy(a.id, takeover.seq, p)) {
          const bBefore = g.commitsBy(b.id, 0, p).filter((x) => x.seq < c.seq).at(-1)!;
          expect(c.time, `partition ${p}: a committed batch ${c.time} after b committed ${bBefore.time}`).toBeGreaterThan(bBefore.time);
        }
      }
    } finally {
      await g.remove();
    }
  }, 240_000);
});
