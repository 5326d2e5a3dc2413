/**
 * Receivers in a group under SIGKILL (DESIGN.md §10): a child job (jobs/mq-group-job.ts), a group
 * of one, then of two, members whose RabbitMQ receivers write to the group's JetStream stream,
 * reads N persistent messages (each with a message-id); each member is killed again and again and
 * restarted (the same group; with two, the other goes on and takes the dead one's partitions)
 * until the total reaches N. Kills come from inside the job right after JetStream acknowledged a
 * block and before RabbitMQ gets its acknowledgements (RabbitMQ redelivers what the stream holds,
 * to either member: the duplicate window must drop it), and from the parent at random moments.
 * Then the exactly-once sink (saveToJetStream, per partition and batch) must hold every message
 * once.
 *
 * Replay: DSTREAM_SEED=<seed printed> npx vitest run property-tests/mq-group-sigkill.test.ts
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RABBITMQ_URL, testQueue } from "../lib/sources/rabbitmq/test-queue.js";
import { removeGroup } from "../lib/test-support/group-fixture.js";
import { testStream, uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { runChild } from "./support/child-job.js";
import { deep, prng, seedFor } from "./support/seed.js";

const CHILD_TIMEOUT = 60_000;
const job = fileURLToPath(new URL("./jobs/mq-group-job.ts", import.meta.url));
const up = (await serviceAvailable("rabbitmq")) && (await serviceAvailable("nats"));

/** A kill plan: first `crashes` crashes right after a block is in JetStream, then `kills` random parent kills. */
function killPlan(random: () => number, crashes: number, kills: number, maxMs: number): ({ afterWrite: number } | { afterMs: number })[] {
  const plan: ({ afterWrite: number } | { afterMs: number })[] = [];
  for (let k = 0; k < crashes; k++) plan.push({ afterWrite: 1 + Math.floor(random() * 4) });
  for (let k = 0; k < kills; k++) plan.push({ afterMs: Math.floor(random() * maxMs) });
  return plan;
}

/** What the members reported: per partition, every member that held it; per member, what it holds now. */
interface Holders {
  ever: Map<number, Set<string>>;
  now: Map<string, string>;
}

/**
 * Runs member `member` of the job again and again, one step of `plan` per run, until some member
 * prints `done` (`stop` aborts: this member's run is killed). Notes in `holders` which members
 * hold each partition. `downUntil`: after its first run (killed), the member stays down until it
 * holds (e.g. until the other member has taken over its partitions). Returns what each kill was.
 */
async function runMember(member: string, env: Record<string, string>, plan: readonly ({ afterWrite: number } | { afterMs: number })[], stop: AbortController, onDone: (line: string) => void, holders: Holders, downUntil?: () => boolean): Promise<string[]> {
  const kills: string[] = [];
  for (let runs = 0; !stop.signal.aborted; runs++) {
    if (runs === 1 && downUntil !== undefined) {
      const deadline = Date.now() + 60_000;
      while (!downUntil() && !stop.signal.aborted) {
        if (Date.now() > deadline) throw new Error(`${member}: the other member did not take its partitions over within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (runs > plan.length + 5) throw new Error(`${member}: job not done after ${runs} runs; kills: ${kills.join("; ")}`);
    const step = plan[runs];
    const runEnv = { ...env, DSTREAM_MEMBER: member, ...(step !== undefined && "afterWrite" in step ? { DSTREAM_CRASH_AFTER_WRITE: String(step.afterWrite) } : {}) };
    const run = await runChild(job, runEnv, step !== undefined && "afterMs" in step ? step.afterMs : undefined, (line) => {
      const f = line.split(" ");
      if (f[0] === "commit") {
        holders.now.set(member, f[3] ?? "");
        if (f[3] !== undefined && f[3] !== "") for (const p of f[3].split(",")) holders.ever.set(Number(p), (holders.ever.get(Number(p)) ?? new Set()).add(member));
      }
      if (line.startsWith("done ")) onDone(line.slice(5));
    }, CHILD_TIMEOUT, stop.signal);
    if (run.killed && !stop.signal.aborted) kills.push(`${member}: ${run.crashPoint ?? `parent kill after ${(step as { afterMs: number }).afterMs} ms`}`);
  }
  return kills;
}

describe.skipIf(!up)("a RabbitMQ receiver in a group under SIGKILL", () => {
  for (const members of [1, 2]) {
    it(`${members} member${members === 1 ? "" : "s"}, killed and restarted: every persistent message counted exactly once`, async () => {
      const n = deep ? 20_000 : 3000;
      const seed = seedFor(`mq-group-sigkill-${members}`);
      const random = prng(seed);
      const group = uniqueName("g");
      const queue = await testQueue("dstream-group-sigkill");
      const sink = await testStream();
      try {
        await queue.publish(Array.from({ length: n }, (_, i) => String(i)), { messageIds: Array.from({ length: n }, (_, i) => `m${i}`) });
        const env = { DSTREAM_KEEP_RUNNING: "1", DSTREAM_GROUP: group, DSTREAM_JOB_SUBJECT: sink.subject, DSTREAM_JOB_RECORDS: String(n), DSTREAM_MQ_URL: RABBITMQ_URL, DSTREAM_MQ_QUEUE: queue.name, DSTREAM_MQ_RATE: "1000" };
        let done: string | undefined;
        const stop = new AbortController();
        const holders: Holders = { ever: new Map(), now: new Map() };
        const inSink = async (): Promise<number> => (await sink.client.countAfter(sink.stream, sink.subject, 0));
        // The member that sees the total reach N (the total is shuffled to one partition) may do so
        // before the others' sink writes of that batch: every member runs until the sink has N.
        const onDone = (d: string): void => {
          if (done !== undefined) return;
          done = d;
          void (async () => {
            const deadline = Date.now() + 60_000;
            while ((await inSink()) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
            stop.abort();
          })();
        };
        // With two members the other one goes on while one is down (and takes its partitions over after its lease).
        const kills = (
          await Promise.all(
            Array.from({ length: members }, (_, m) => {
              const plan = killPlan(random, deep ? 10 : 3, deep ? 30 : 5, members === 1 ? 600 : 2000);
              if (members === 1 || m > 0) return runMember(`member-${m + 1}`, env, plan, stop, onDone, holders);
              // With two, member-1 is first killed soon after its first batch and stays down until
              // member-2 runs every partition (its lease lapsed): a takeover happens in every run.
              return runMember("member-1", env, [{ afterMs: 200 }, ...plan], stop, onDone, holders, () => holders.now.get("member-2") === "0,1,2");
            }),
          )
        ).flat();
        const moved = [...holders.ever].filter(([, by]) => by.size > 1).map(([p]) => p);
        console.log(`[mq-group-sigkill-${members}] ${kills.length} kills survived: ${kills.join("; ")}; partitions held by both members: ${moved.join(", ") || "none"}`);

        const seen = (await sink.read(sink.subject)).map((m) => Number(new TextDecoder().decode(m.data))).sort((a, b) => a - b);
        expect(seen.length, "messages in the sink").toBe(n);
        expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(Number(done)).toBe(n);
        expect(kills.filter((k) => k.includes("crash-point")).length).toBeGreaterThanOrEqual(1);
        // With two members, a dead member's partitions were run by the other.
        if (members === 2) expect(moved.length, "partitions held by both members").toBeGreaterThan(0);
        expect(await queue.ready()).toBe(0);
      } finally {
        await sink.remove();
        await queue.remove();
        await removeGroup(group);
      }
    }, deep ? 1_200_000 : 300_000);
  }
});
