/**
 * Real processes on real services: a child job (jobs/jetstream-pg-job.ts) reads a 4-partition
 * JetStream stream of lines, writes per-batch word counts to PostgreSQL and running totals to a
 * JetStream subject, and is SIGKILLed again and again (at crash points inside it, among them
 * "before-commit-write": after both sinks wrote a batch and before dstream's commit; and by the
 * parent at random moments) and restarted until every line is counted. Then PostgreSQL holds
 * exactly the expected counts, each batch's rows once; the output subject holds each (batch,
 * index) message once, every batch's totals equal the PostgreSQL counts up to that batch, and the
 * last totals are the expected ones.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/jetstream-sigkill.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { testStream } from "../lib/test-support/jetstream-fixture.js";
import { testTable } from "../lib/test-support/postgres-fixture.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { CRASH_POINTS } from "./jobs/kill-switch-kv.js";
import { PARTITIONS, expectedWordCounts, lineAt } from "./jobs/word-lines.js";
import { runUntilDone, type KillStep } from "./support/child-job.js";
import { deep, prng, seedFor } from "./support/seed.js";

const LINES = deep ? 12_000 : 3_000;
/** The job has no write-ahead log (a direct stream): the WAL crash point never comes. */
const POINTS = CRASH_POINTS.filter((p) => p !== "after-wal-append");
const ROUNDS_OF_CRASH_POINTS = deep ? 3 : 1;
const PARENT_KILLS = deep ? 16 : 3;
// Generous: a restart after a long outage first runs every missed batch, on a machine shared with other jobs.
const CHILD_TIMEOUT = 120_000;

const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));
const root = mkdtempSync(join(tmpdir(), "dstream-js-sigkill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const job = fileURLToPath(new URL("./jobs/jetstream-pg-job.ts", import.meta.url));

describe.skipIf(!ready)("JetStream → PostgreSQL + JetStream under SIGKILL", () => {
  it("a job SIGKILLed at crash points and at random moments leaves exactly the expected sums and totals", async () => {
    const seed = seedFor("jetstream-sigkill");
    const random = prng(seed);
    const s = await testStream();
    const t = await testTable("dstream_sigkill", "batch_time bigint NOT NULL, word text NOT NULL, count int NOT NULL");
    try {
      const encoder = new TextEncoder();
      let words = 0;
      for (let i = 0; i < LINES; i++) words += lineAt(i).split(" ").length;
      let published = 0;
      const publishUpTo = async (n: number): Promise<void> => {
        for (; published < n; ) {
          const acks: Promise<unknown>[] = [];
          for (const end = Math.min(n, published + 500); published < end; published++) acks.push(s.client.publish(`${s.subject}.${published % PARTITIONS}`, encoder.encode(lineAt(published))));
          await Promise.all(acks);
        }
      };
      const env = { DSTREAM_JOB_DIR: join(root, "checkpoint"), DSTREAM_JOB_STREAM: s.stream, DSTREAM_JOB_TABLE: t.name, DSTREAM_JOB_WORDS: String(words) };
      const plan: KillStep[] = [];
      for (let r = 0; r < ROUNDS_OF_CRASH_POINTS; r++) for (const point of [...POINTS].sort(() => random() - 0.5)) plan.push({ point });
      for (let k = 0; k < PARENT_KILLS; k++) plan.splice(Math.floor(random() * (plan.length + 1)), 0, { afterMs: Math.floor(random() * 300) });

      // The input arrives run by run, once the run is live, as a live stream would: the catch-up
      // batches of a restart (one write per group) must not consume it all, or the run's crash
      // point finds no batch to fire in.
      const perRun = Math.ceil(LINES / (plan.length + 1));
      const { kills, done } = await runUntilDone(job, env, plan, random, CHILD_TIMEOUT, (run) => publishUpTo(run >= plan.length ? LINES : Math.min(LINES, (run + 1) * perRun)));
      console.log(`[jetstream-sigkill] ${kills.length} kills survived: ${kills.join("; ")}`);
      const expected = expectedWordCounts(LINES);

      // PostgreSQL: each batch's rows once, and the sums are the expected counts.
      expect(await t.query(`SELECT batch_time, word FROM "${t.name}" GROUP BY batch_time, word HAVING count(*) > 1`)).toEqual([]);
      const sums = await t.query<{ word: string; n: number }>(`SELECT word, sum(count)::int AS n FROM "${t.name}" GROUP BY word`);
      expect(new Map(sums.map((r) => [r.word, r.n]))).toEqual(expected);
      const rows = await t.query<{ batch_time: string; word: string; count: number }>(`SELECT batch_time::text, word, count FROM "${t.name}" ORDER BY batch_time`);

      // The output subject: every (batch, index) once, indices 0..n-1 per batch, in order.
      const out = await s.read(`${s.stream}.out`);
      const byBatch = new Map<number, [string, number][]>();
      const jobs = new Set<string>();
      for (const m of out) {
        const [job, sink, time, index] = (m.headers?.["Nats-Msg-Id"] ?? "").split(":");
        jobs.add(job!);
        expect(sink).toBe("totals.saveToJetStream");
        const list = byBatch.get(Number(time)) ?? [];
        expect(Number(index), `message ${m.seq}: batch ${time} index`).toBe(list.length);
        list.push(JSON.parse(new TextDecoder().decode(m.data)) as [string, number]);
        byBatch.set(Number(time), list);
      }
      // One job id (the checkpoint's) across every kill and restart, in the Msg-Ids and the ledger.
      expect([...jobs]).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
      expect(await t.query(`SELECT DISTINCT job FROM dstream_sink_ledger WHERE target = $1`, [t.name])).toEqual([{ job: [...jobs][0] }]);
      // Each batch's totals are the PostgreSQL counts of the batches up to it.
      const running = new Map<string, number>();
      let r = 0;
      for (const time of [...byBatch.keys()].sort((a, b) => a - b)) {
        for (; r < rows.length && Number(rows[r]!.batch_time) <= time; r++) running.set(rows[r]!.word, (running.get(rows[r]!.word) ?? 0) + rows[r]!.count);
        expect(new Map(byBatch.get(time)), `totals of batch ${time}`).toEqual(running);
      }
      expect(running).toEqual(expected);
      expect(new Map(JSON.parse(done) as [string, number][])).toEqual(expected);
      expect(kills.length).toBeGreaterThanOrEqual(POINTS.length * ROUNDS_OF_CRASH_POINTS);
      if (deep) expect(kills.length).toBeGreaterThanOrEqual(20);
    } finally {
      await s.remove();
      await t.remove();
    }
  }, deep ? 1_200_000 : 240_000);
});
