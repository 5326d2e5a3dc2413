import { describe, expect, it } from "vitest";
import { StatusLine, type StreamingContext } from "../index.js";
import type { GroupStatus } from "../lib/group/group-status.js";
import { cleanupsAfterEach } from "../lib/test-support/cleanups.js";
import { oneMemberWordCount, removeGroup } from "../lib/test-support/group-fixture.js";
import { NATS_URL, testStream, uniqueName, type TestStream } from "../lib/test-support/jetstream-fixture.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { main } from "./cli.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();
const PARTITIONS = 3;
const LEASE_MS = 5000;

/** Runs the command in-process; returns its exit code and output. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

/** A one-member group through batch `through`, with a status line attached. */
async function runGroup(s: TestStream, group: string, through: number): Promise<{ ssc: StreamingContext; status: string }> {
  let status = "";
  const job = await oneMemberWordCount(s, { group, partitions: PARTITIONS, leaseMs: LEASE_MS, beforeStart: (ssc) => void StatusLine.attach(ssc, { out: { write: (t: string) => (status += t) }, tty: false }) });
  cleanup(() => job.ssc.stop().catch(() => undefined));
  await job.runThrough(through);
  return { ssc: job.ssc, status };
}

describe.skipIf(!nats)("dstream inspect --group", () => {
  it("shows meta, the live member with its partitions and epochs, and per partition its last commit, snapshot and lag; writes nothing", async () => {
    const s = await testStream();
    cleanup(() => s.remove());
    for (const [i, line] of ["a b", "b c", "c d", "a a", "e"].entries()) await s.publish(i % PARTITIONS, line);
    const group = uniqueName("cli");
    cleanup(() => removeGroup(group));
    const { ssc, status } = await runGroup(s, group, 3000);
    const memberId = ssc.group!.memberId;
    // The status line names the group, the member and its partitions.
    expect(status).toContain(`| group ${group} member ${memberId.slice(-8)} | partitions 0-2 | `);

    const logStream = `DSTREAM_GROUP_${group}_LOG`;
    const logBefore = await s.client.streamState(logStream);
    const { code, out } = await run("inspect", "--group", group, "--servers", NATS_URL, "--lease-ms", String(LEASE_MS), "--json");
    expect(code).toBe(0);
    const r = JSON.parse(out) as GroupStatus;
    expect(r).toMatchObject({ group, partitions: PARTITIONS, batchDuration: 1000, zeroTime: 0, jobId: expect.stringMatching(new RegExp(`^group:${group}:[0-9a-f]{16}$`)), leaseMs: LEASE_MS });
    expect(r.fingerprint.stateful).toHaveLength(1);
    expect(r.members).toEqual([{ id: memberId, live: true, heartbeatAgeMs: expect.any(Number), partitions: [0, 1, 2].map((partition) => ({ partition, epoch: 1 })) }]);
    expect(r.members[0]!.heartbeatAgeMs).toBeLessThan(LEASE_MS);
    for (const p of r.partitionStatus) {
      expect(p, `partition ${p.partition}`).toMatchObject({ holder: memberId, epoch: 1, lastCommitTime: 3000, lastCommitMember: memberId, pendingPlanTime: null, snapshotTime: 2000, lagBatches: 0 });
      // Retention after the snapshot of 2000 keeps its commit, then the plan and commit of 3000.
      expect(p.logEntries).toBe(3);
    }
    // The member is idle (the clock stands still): the log is exactly as it was.
    expect((await s.client.streamState(logStream)).lastSeq).toBe(logBefore.lastSeq);

    const text = await run("inspect", "--group", group, "--servers", NATS_URL, "--lease-ms", String(LEASE_MS));
    expect(text.code).toBe(0);
    expect(text.out).toContain(`group ${group}  (KV bucket dstream_group_${group}, log stream ${logStream})`);
    expect(text.out).toContain("members (1 live)");
    expect(text.out).toContain(`  job id              ${r.jobId}\n`);
    expect(text.out).toMatch(new RegExp(`${memberId}\\s+live\\s+\\S+ m?s\\s+0@1 1@1 2@1`));
    expect(text.out).toMatch(new RegExp(`\\n  0\\s+${memberId}\\s+1\\s+3000\\s+${memberId}\\s+-\\s+2000 \\(.* ago\\)\\s+3\\s+0`));

    // Stopped: the member left (lease released, key deleted). Inspecting now changes neither the bucket nor the log.
    await ssc.stop();
    const kvName = `KV_dstream_group_${group}`;
    const before = [await s.client.streamState(kvName), await s.client.streamState(logStream)];
    const stopped = JSON.parse((await run("inspect", "--group", group, "--servers", NATS_URL, "--json")).out) as GroupStatus;
    await run("inspect", "--group", group, "--servers", NATS_URL);
    expect([await s.client.streamState(kvName), await s.client.streamState(logStream)]).toEqual(before);
    expect(stopped.members).toEqual([]);
    expect(stopped.partitionStatus.map((p) => [p.holder, p.lastCommitTime, p.lastCommitMember])).toEqual([0, 1, 2].map(() => [null, 3000, memberId]));
  });

  it("an unknown group: exit 1 with DSTREAM_SOURCE_UNAVAILABLE; a wrong command line: usage, exit 2", async () => {
    const group = uniqueName("cli");
    cleanup(() => removeGroup(group));
    const missing = await run("inspect", "--group", group, "--servers", NATS_URL, "--json");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(new RegExp(`^error DSTREAM_SOURCE_UNAVAILABLE: There is no group "${group}"`));
    expect(JSON.parse(missing.out)).toMatchObject({ error: { code: "DSTREAM_SOURCE_UNAVAILABLE" } });
    expect((await run("inspect", "--group")).code).toBe(2);
    expect((await run("inspect", "--group", "g", "--servers")).code).toBe(2);
    expect((await run("inspect", "--group", "g", "--lease-ms", "soon")).err).toContain("--lease-ms must be a number");
    expect((await run("--help")).out).toContain("dstream inspect --group <name>");
  });
});
