/**
 * Three members of one group (jobs/group-word-count-job.ts, 6 partitions) on real NATS and
 * PostgreSQL, while a producer publishes a known multiset of words over time: at seeded random
 * moments a member is SIGKILLed (and restarted a little later) or SIGSTOPped past its lease (and
 * continued). At the end every member runs until the group has caught up. Then the PostgreSQL
 * per-word sums and the last JetStream total per word equal the produced counts exactly, no
 * (batch, word) row is there twice, no partition committed a batch twice, and (deep run) every
 * partition was committed by more than one member over the run.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/group-chaos.test.ts
 */
import { describe, expect, it } from "vitest";
import { serviceAvailable } from "../lib/test-support/services.js";
import { GROUP_PARTITIONS } from "./jobs/word-lines.js";
import { GroupFixture, type Member } from "./support/group-run.js";
import { deep, prng, seedFor } from "./support/seed.js";

const LINES = deep ? 20_000 : 3_000;
const EVENTS = deep ? 12 : 4;
const MEMBERS = 3;
const LEASE_MS = 3000;

const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ready)("a group of three under SIGKILL and SIGSTOP", () => {
  it("members killed and paused at random moments leave exactly the produced counts in PostgreSQL and JetStream", async () => {
    const seed = seedFor("group-chaos");
    const random = prng(seed);
    const g = await GroupFixture.create({ leaseMs: LEASE_MS });
    try {
      // slots[i]: the member process now in slot i (a restart replaces it).
      const slots: Member[] = Array.from({ length: MEMBERS }, (_, i) => g.start(`${i}`));
      await g.followLog();
      await g.publishUpTo(Math.floor(LINES / 10));
      await g.waitUntilEveryPartitionCommitted(90_000);

      const busy = new Set<number>();
      const events: string[] = [];
      const running = new Set<Promise<void>>();
      let producing = true;
      const producer = g.produceOver(LINES, EVENTS * 2500).finally(() => (producing = false));
      // Awaited below; if the test fails first, its failure is the one to report, not this.
      producer.catch(() => undefined);
      for (let e = 0; e < EVENTS; e++) {
        await sleep(1000 + Math.floor(random() * 2000));
        // Keep one member out of every event: a group with nobody left makes no progress to disturb.
        while (MEMBERS - busy.size < 2) await Promise.race(running);
        const free = [...Array(MEMBERS).keys()].filter((i) => !busy.has(i));
        const slot = free[Math.floor(random() * free.length)]!;
        const kill = random() < 0.5;
        const downMs = kill ? 500 + Math.floor(random() * 2500) : LEASE_MS + 500 + Math.floor(random() * 2000);
        const at = Date.now();
        events.push(`${kill ? "SIGKILL" : "SIGSTOP"} member ${slots[slot]!.label} for ${downMs} ms`);
        busy.add(slot);
        const task = (async () => {
          if (kill) {
            await slots[slot]!.kill();
            await sleep(Math.max(0, at + downMs - Date.now()));
            slots[slot] = g.start(`${slot}.${e}`);
          } else {
            slots[slot]!.signal("SIGSTOP");
            await sleep(downMs);
            slots[slot]!.signal("SIGCONT");
          }
        })();
        running.add(task);
        void task.finally(() => {
          busy.delete(slot);
          running.delete(task);
        });
      }
      await Promise.all([...running]);
      await producer;
      expect(producing).toBe(false);
      console.log(`[group-chaos] seed ${seed}: ${events.join("; ")}`);

      await g.waitForResults(LINES, deep ? 600_000 : 90_000);
      for (const m of slots) await m.stop();
      await g.expectExact(LINES);

      const holders = Array.from({ length: GROUP_PARTITIONS }, (_, p) => new Set(g.commitsBy(undefined, 0, p).map((c) => c.member)));
      const batches = g.members.reduce((n, m) => n + m.commits, 0);
      console.log(`[group-chaos] members per partition over the run: ${holders.map((h) => h.size).join(", ")}; ${g.commits.length} partition commits on the log; ${batches} batches completed by the ${g.members.length} member processes`);
      if (deep) for (const [p, h] of holders.entries()) expect(h.size, `partition ${p} committed by only ${[...h].join(", ")}`).toBeGreaterThan(1);
    } finally {
      await g.remove();
    }
  }, deep ? 1_800_000 : 240_000);
});
