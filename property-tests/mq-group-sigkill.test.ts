/**
 * Receivers in a group under SIGKILL (DESIGN.md §10): a child job (jobs/mq-group-job.ts), a
 * one-member group whose RabbitMQ receiver writes to the group's JetStream stream, reads N
 * persistent messages (each with a message-id) and is killed again and again, then restarted (the
 * same group) until it has counted N. Kills come from inside the job right after JetStream
 * acknowledged a block and before RabbitMQ gets its acknowledgements (RabbitMQ redelivers what the
 * stream holds: the duplicate window must drop it), and from the parent at random moments. Then
 * the exactly-once sink (saveAsTextFiles, per partition and batch) must hold every message once.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/mq-group-sigkill.test.ts
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { RABBITMQ_URL, testQueue } from "../lib/sources/rabbitmq/test-queue.js";
import { removeGroup } from "../lib/test-support/group-fixture.js";
import { uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { runChild } from "./support/child-job.js";
import { deep, prng, seedFor } from "./support/seed.js";

const CHILD_TIMEOUT = 60_000;
const root = mkdtempSync(join(tmpdir(), "dstream-mq-group-sigkill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const job = fileURLToPath(new URL("./jobs/mq-group-job.ts", import.meta.url));
const up = (await serviceAvailable("rabbitmq")) && (await serviceAvailable("nats"));

describe.skipIf(!up)("a RabbitMQ receiver in a group under SIGKILL", () => {
  it("counts every persistent message exactly once", async () => {
    const n = deep ? 20_000 : 3000;
    const seed = seedFor("mq-group-sigkill");
    const random = prng(seed);
    const group = uniqueName("g");
    const queue = await testQueue("dstream-group-sigkill");
    const out = join(root, "out");
    mkdirSync(out, { recursive: true });
    try {
      await queue.publish(Array.from({ length: n }, (_, i) => String(i)), { messageIds: Array.from({ length: n }, (_, i) => `m${i}`) });
      const base = { DSTREAM_GROUP: group, DSTREAM_JOB_OUT: out, DSTREAM_JOB_RECORDS: String(n), DSTREAM_MQ_URL: RABBITMQ_URL, DSTREAM_MQ_QUEUE: queue.name, DSTREAM_MQ_RATE: "1000" };
      // First the crash right after a block is in JetStream (the duplicate window's case), then random parent kills.
      const plan: ({ afterWrite: number } | { afterMs: number })[] = [];
      for (let k = 0; k < (deep ? 10 : 3); k++) plan.push({ afterWrite: 1 + Math.floor(random() * 4) });
      for (let k = 0; k < (deep ? 30 : 5); k++) plan.push({ afterMs: Math.floor(random() * 600) });
      const kills: string[] = [];
      let done: string | undefined;
      for (let runs = 0; done === undefined; runs++) {
        if (runs > plan.length + 5) throw new Error(`job not done after ${runs} runs; kills: ${kills.join("; ")}`);
        const step = plan[runs];
        const env = step !== undefined && "afterWrite" in step ? { ...base, DSTREAM_CRASH_AFTER_WRITE: String(step.afterWrite) } : base;
        const run = await runChild(job, env, step !== undefined && "afterMs" in step ? step.afterMs : undefined, (line) => {
          if (line.startsWith("done ")) done = line.slice(5);
        }, CHILD_TIMEOUT);
        if (run.killed) kills.push(run.crashPoint ?? `parent kill after ${(step as { afterMs: number }).afterMs} ms`);
      }
      console.log(`[mq-group-sigkill] ${kills.length} kills survived: ${kills.join("; ")}`);

      const files = readdirSync(out);
      expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
      const seen: number[] = [];
      for (const f of files.filter((x) => x.startsWith("records-"))) {
        for (const l of readFileSync(join(out, f), "utf8").split("\n")) if (l !== "") seen.push(Number(l));
      }
      expect(seen.length, "messages in the sink").toBe(n);
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(Number(done)).toBe(n);
      expect(kills.filter((k) => k.startsWith("crash-point")).length).toBeGreaterThanOrEqual(1);
      expect(await queue.ready()).toBe(0);
    } finally {
      await queue.remove();
      await removeGroup(group);
    }
  }, deep ? 1_200_000 : 300_000);
});
