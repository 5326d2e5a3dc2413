import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { removeGroup } from "../test-support/group-fixture.js";
import { NATS_URL, uniqueName } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { joinGroup } from "./coordinator.js";
import type { GroupMeta } from "./contracts.js";
import { readGroupStatus } from "./group-status.js";
import { partitionLog } from "./partition-log.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();

const META: GroupMeta = {
  partitions: 3,
  zeroTime: 0,
  batchDuration: 1000,
  fingerprint: {
    batchDuration: 1000,
    operators: [
      { id: "in", kind: "JetStreamInputDStream", dependencies: [], slideDuration: 1000, stateful: false },
      { id: "totals", kind: "StateDStream", dependencies: ["in"], slideDuration: 1000, stateful: true },
    ],
  },
  hash: "dstream-hashKey-v1",
  jobId: "group:gs:0123456789abcdef",
};

const commit = (time: number, member: string) => ({ kind: "commit" as const, time, deltas: {}, member });
const plan = (time: number) => ({ kind: "plan" as const, time, plan: { inputs: {} } });

describe.skipIf(!nats)("readGroupStatus", () => {
  it("reports members, holders, last commits (and who wrote them), pending plans, snapshots, entries kept and lag, writing nothing", async () => {
    const group = uniqueName("gs");
    cleanup(() => removeGroup(group));
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    const member = await joinGroup({ servers: [NATS_URL], group, memberId: "m-a", leaseMs: 60_000, proposed: META });
    cleanup(() => member.leave());
    expect(member.owned()).toEqual([0, 1, 2]);

    // Partition 0 committed through 3000 (by m-a, after m-old), snapshot at 2000 (retention keeps
    // its commit and what follows: 3 entries); partition 1
    // through 1000 with batch 2000 planned; partition 2 nothing yet.
    const log = partitionLog(client, { group, partitions: 3 });
    await log.ensure();
    for (const p of [0, 1, 2]) await log.open(p);
    await log.append(0, plan(1000));
    await log.append(0, commit(1000, "m-old"));
    await log.append(0, plan(2000));
    await log.append(0, commit(2000, "m-old"));
    await log.snapshot(0, 2000, { totals: [] });
    await log.append(0, plan(3000));
    await log.append(0, commit(3000, "m-a"));
    await log.append(1, plan(1000));
    await log.append(1, commit(1000, "m-a"));
    await log.append(1, plan(2000));

    const kv = await client.streamState(`KV_dstream_group_${group}`);
    const logState = await client.streamState(`DSTREAM_GROUP_${group}_LOG`);
    const status = await readGroupStatus(client, group, { leaseMs: 60_000 });
    expect(status).toMatchObject({ group, partitions: 3, batchDuration: 1000, zeroTime: 0, hash: "dstream-hashKey-v1", jobId: "group:gs:0123456789abcdef", leaseMs: 60_000 });
    expect(status.fingerprint).toEqual({ operators: 2, inputs: 1, stateful: ["StateDStream totals"], windowed: 0 });
    expect(status.members).toEqual([{ id: "m-a", live: true, heartbeatAgeMs: expect.any(Number), partitions: [0, 1, 2].map((p) => ({ partition: p, epoch: 1 })) }]);
    expect(status.partitionStatus).toEqual([
      { partition: 0, holder: "m-a", epoch: 1, lastCommitTime: 3000, lastCommitMember: "m-a", pendingPlanTime: null, snapshotTime: 2000, snapshotAgeMs: expect.any(Number), logEntries: 3, lagBatches: 0 },
      { partition: 1, holder: "m-a", epoch: 1, lastCommitTime: 1000, lastCommitMember: "m-a", pendingPlanTime: 2000, snapshotTime: null, snapshotAgeMs: null, logEntries: 3, lagBatches: 2 },
      { partition: 2, holder: "m-a", epoch: 1, lastCommitTime: null, lastCommitMember: null, pendingPlanTime: null, snapshotTime: null, snapshotAgeMs: null, logEntries: 0, lagBatches: 3 },
    ]);
    // Read-only: neither the bucket nor the log got a message.
    expect((await client.streamState(`KV_dstream_group_${group}`)).lastSeq).toBe(kv.lastSeq);
    expect((await client.streamState(`DSTREAM_GROUP_${group}_LOG`)).lastSeq).toBe(logState.lastSeq);

    // After the member left: no holder, the member key gone; the log still says who committed.
    await member.leave();
    const after = await readGroupStatus(client, group, { leaseMs: 60_000 });
    expect(after.members).toEqual([]);
    expect(after.partitionStatus.map((p) => [p.holder, p.epoch, p.lastCommitMember])).toEqual([
      [null, 1, "m-a"],
      [null, 1, "m-a"],
      [null, 1, null],
    ]);
  });

  it("a group that does not exist: SOURCE_UNAVAILABLE saying so, and no bucket is created", async () => {
    const group = uniqueName("gs");
    cleanup(() => removeGroup(group));
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    const err = await readGroupStatus(client, group).catch((e: unknown) => e);
    expect(StreamingError.is(err, ErrorCodes.SOURCE_UNAVAILABLE), String(err)).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`no group "${group}" .*no KV bucket dstream_group_${group}`));
    expect(await client.streamExists(`KV_dstream_group_${group}`)).toBe(false);
  });
});
