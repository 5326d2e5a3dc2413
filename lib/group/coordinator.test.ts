import { describe, expect, it } from "vitest";
import { ErrorCodes, StreamingError } from "../../errors.js";
import type { GraphFingerprint } from "../../recovery/fingerprint.js";
import { decodeValue } from "../../storage/codec.js";
import { JetStreamClient, type KvEntry } from "../sources/jetstream/jetstream-client.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { NATS_URL, uniqueName } from "../test-support/jetstream-fixture.js";
import { freePort, natsServerInstalled, ownNatsServer } from "../test-support/own-nats-server.js";
import { serviceAvailable } from "../test-support/services.js";
import { tempDirs } from "../test-support/temp-dirs.js";
import type { GroupMeta, OwnershipChange } from "./contracts.js";
import { assignPartitions, groupBucketName, joinGroup, type KvGroupCoordinator } from "./coordinator.js";

const nats = await serviceAvailable("nats");
const tempDir = tempDirs("dstream-group-");
const cleanup = cleanupsAfterEach();

const fingerprint: GraphFingerprint = {
  batchDuration: 1000,
  operators: [
    { id: "input-0", kind: "jetStream", dependencies: [], slideDuration: 1000, stateful: false },
    { id: "counts", kind: "updateStateByKey", dependencies: ["input-0"], slideDuration: 1000, stateful: true },
  ],
};
const META: GroupMeta = { partitions: 6, zeroTime: 1_000_000, batchDuration: 1000, fingerprint, hash: "dstream-hashKey-v1" };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Polls `condition` every 20 ms until it holds; fails with `what` after `ms`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fresh group name whose bucket is deleted after the test. */
function newGroup(): string {
  const group = uniqueName("gc");
  cleanup(async () => {
    const client = JetStreamClient.open([NATS_URL]);
    await client.deleteKvBucket(groupBucketName(group));
    await client.release();
  });
  return group;
}

async function member(group: string, id: string, leaseMs = 900, proposed: GroupMeta = META, url = NATS_URL): Promise<KvGroupCoordinator> {
  const m = await joinGroup({ servers: [url], group, memberId: id, leaseMs, proposed });
  cleanup(() => m.leave());
  return m;
}

/** True when the members' owned() sets are disjoint, each has `each` partitions and together all P. */
function balanced(members: readonly KvGroupCoordinator[], partitions: number): boolean {
  const all = members.flatMap((m) => m.owned()).sort((a, b) => a - b);
  const share = partitions / members.length;
  return members.every((m) => Math.abs(m.owned().length - share) < 1) && JSON.stringify(all) === JSON.stringify(range(partitions));
}

async function bucketEntries(group: string): Promise<KvEntry[]> {
  const client = JetStreamClient.open([NATS_URL]);
  try {
    return await (await client.kvBucket(groupBucketName(group))).entries();
  } finally {
    await client.release();
  }
}

describe("assignPartitions", () => {
  it("gives every member ⌊P/n⌋ or ⌈P/n⌉, keeps current holders and moves only what balance needs", () => {
    expect(assignPartitions(["a"], 6, new Map())).toEqual(new Map([["a", range(6)]]));
    expect(assignPartitions(["b", "a", "c"], 6, new Map())).toEqual(new Map([["a", [0, 1]], ["b", [2, 3]], ["c", [4, 5]]]));
    // b joins a, who holds all: a keeps 0-2, b gets 3-5.
    const holders = new Map(range(6).map((p) => [p, "a"]));
    expect(assignPartitions(["a", "b"], 6, holders)).toEqual(new Map([["a", [0, 1, 2]], ["b", [3, 4, 5]]]));
    // c joins a (0,2,4) and b (1,3,5): each gives up its highest.
    const ab = new Map([[0, "a"], [2, "a"], [4, "a"], [1, "b"], [3, "b"], [5, "b"]]);
    expect(assignPartitions(["a", "b", "c"], 6, ab)).toEqual(new Map([["a", [0, 2]], ["b", [1, 3]], ["c", [4, 5]]]));
    // 7 over 2: the member holding more keeps the larger share.
    expect(assignPartitions(["a", "b"], 7, new Map([[0, "b"], [1, "b"], [2, "b"], [3, "b"]]))).toEqual(new Map([["a", [4, 5, 6]], ["b", [0, 1, 2, 3]]]));
  });
});

describe("joinGroup arguments", () => {
  it("rejects a bad group name, a short lease and a bad member id before connecting", async () => {
    await expect(joinGroup({ servers: [NATS_URL], group: "a.b", leaseMs: 1000, proposed: META })).rejects.toThrow(TypeError);
    await expect(joinGroup({ servers: [NATS_URL], group: "ok", leaseMs: 299, proposed: META })).rejects.toThrow(RangeError);
    await expect(joinGroup({ servers: [NATS_URL], group: "ok", memberId: "a b", leaseMs: 1000, proposed: META })).rejects.toThrow(TypeError);
  });
});

describe.skipIf(!nats)("GroupCoordinator on JetStream KV", () => {
  it("a single member takes every partition; its meta is the stored one", async () => {
    const group = newGroup();
    const a = await member(group, "a");
    expect(a.owned()).toEqual(range(6));
    expect(a.meta).toEqual(META);
    expect(await a.members()).toEqual([{ id: "a", partitions: range(6) }]);
    const later = await member(group, "b", 900, { ...META, zeroTime: 5 });
    expect(later.meta.zeroTime).toBe(META.zeroTime);
  });

  it("2 then 3 members balance, each partition held by exactly one; leave rebalances to the others", async () => {
    const group = newGroup();
    const a = await member(group, "a");
    const b = await member(group, "b");
    await until("2 balanced members", () => balanced([a, b], 6));
    const c = await member(group, "c");
    const changes: OwnershipChange[] = [];
    c.onChange((ch) => changes.push(ch));
    await until("3 balanced members", () => balanced([a, b, c], 6));
    expect([a, b, c].map((m) => m.owned().length)).toEqual([2, 2, 2]);
    expect(changes.flatMap((ch) => ch.gained).sort()).toEqual(c.owned());
    await until("members() to agree", async () => {
      const ms = await a.members();
      return JSON.stringify(ms) === JSON.stringify([a, b, c].map((m) => ({ id: m.memberId, partitions: m.owned() })));
    });

    const left = Date.now();
    await c.leave();
    await c.leave(); // idempotent
    expect(c.owned()).toEqual([]);
    expect(changes.at(-1)!.lost.length).toBe(2);
    await until("2 members to take the leaver's partitions", () => balanced([a, b], 6));
    console.log(`leave → rebalanced in ${Date.now() - left} ms (leaseMs 900)`);
    expect((await bucketEntries(group)).map((e) => e.key)).not.toContain("member.c");
  });

  it("a paused member loses its partitions after leaseMs, learns it on resume and rejoins", async () => {
    const group = newGroup();
    const leaseMs = 900;
    const [a, b, c] = [await member(group, "a", leaseMs), await member(group, "b", leaseMs), await member(group, "c", leaseMs)];
    await until("3 balanced members", () => balanced([a, b, c], 6));
    const cHeld = c.owned();
    const changes: OwnershipChange[] = [];
    c.onChange((ch) => changes.push(ch));

    c.pause();
    const paused = Date.now();
    await until("a and b to take the paused member's partitions", () => balanced([a, b], 6));
    const takenAfter = Date.now() - paused;
    console.log(`paused member's partitions taken after ${takenAfter} ms (leaseMs ${leaseMs})`);
    expect(takenAfter).toBeLessThanOrEqual(leaseMs + 2_000);
    const epochs = (await bucketEntries(group)).filter((e) => e.key.startsWith("lease.")).map((e) => (decodeValue(e.key, e.value) as { epoch: number }).epoch);
    expect(Math.max(...epochs)).toBeGreaterThanOrEqual(2); // a new tenure for the taken ones
    expect(c.owned()).toEqual(cHeld); // paused: it has not run to notice

    c.resume();
    expect(changes[0]).toEqual({ gained: [], lost: cHeld }); // at once, from its local clock
    expect(c.owned()).toEqual([]);
    await until("the resumed member to rejoin and balance", () => balanced([a, b, c], 6));
    console.log(`renewal cost: ${(a.stats.tickMs / a.stats.ticks).toFixed(1)} ms per tick (heartbeat, list, renew ${a.owned().length} leases), ${a.stats.failedTicks} failed of ${a.stats.ticks}`);
  });

  it("refuses a member with another fingerprint or partition count, changing nothing", async () => {
    const group = newGroup();
    const a = await member(group, "a");
    const before = await bucketEntries(group);
    const changed: GraphFingerprint = { ...fingerprint, operators: [...fingerprint.operators, { id: "totals", kind: "reduceByKeyAndWindow", dependencies: ["counts"], slideDuration: 1000, windowDuration: 5000, stateful: true }] };
    const refused = (proposed: GroupMeta) => joinGroup({ servers: [NATS_URL], group, memberId: "intruder", leaseMs: 900, proposed });
    const err1 = await refused({ ...META, fingerprint: changed }).catch((e: unknown) => e);
    expect(StreamingError.is(err1, ErrorCodes.CHECKPOINT_MISMATCH)).toBe(true);
    expect((err1 as Error).message).toMatch(/group .*different graph[\s\S]*operator added: reduceByKeyAndWindow "totals"/);
    const err2 = await refused({ ...META, partitions: 8, batchDuration: 2000 }).catch((e: unknown) => e);
    expect(StreamingError.is(err2, ErrorCodes.CHECKPOINT_MISMATCH)).toBe(true);
    expect((err2 as Error).message).toMatch(/partitions: the group has 6, this member 8[\s\S]*batch duration: the group has 1000 ms, this member 2000 ms/);
    // Only a's own renewals happened: same keys, nothing of the intruder's.
    const after = await bucketEntries(group);
    expect(after.map((e) => e.key).sort()).toEqual(before.map((e) => e.key).sort());
    expect(a.owned()).toEqual(range(6));
  });

  it("lost(p) drops p at once and releases it; the member takes it again under a new epoch", async () => {
    const group = newGroup();
    const a = await member(group, "a");
    const changes: OwnershipChange[] = [];
    a.onChange((ch) => changes.push(ch));
    const epochOf = async (p: number): Promise<number | undefined> => {
      const e = (await bucketEntries(group)).find((x) => x.key === `lease.${p}`);
      return e === undefined ? undefined : (decodeValue(e.key, e.value) as { epoch: number }).epoch;
    };
    expect(await epochOf(3)).toBe(1);
    a.lost(3);
    expect(changes).toEqual([{ gained: [], lost: [3] }]);
    expect(a.owned()).toEqual([0, 1, 2, 4, 5]);
    await until("p to be taken again", () => a.owned().includes(3));
    expect(changes[1]).toEqual({ gained: [3], lost: [] });
    expect(await epochOf(3)).toBe(2);
  });
});

describe.skipIf(!natsServerInstalled)("GroupCoordinator across a NATS restart", () => {
  it("a member that cannot renew drops its leases locally after leaseMs, without crashing, and takes them again after the restart", async () => {
    const dir = await tempDir();
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    let server = await ownNatsServer(dir, port);
    cleanup(() => server.stop());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    cleanup(async () => void process.off("unhandledRejection", onUnhandled));

    const leaseMs = 900;
    const group = uniqueName("gc");
    const a = await member(group, "a", leaseMs, META, url);
    const b = await member(group, "b", leaseMs, META, url);
    await until("2 balanced members", () => balanced([a, b], 6));
    const lostAt = new Map<string, number>();
    for (const m of [a, b]) m.onChange((ch) => void (ch.lost.length > 0 && m.owned().length === 0 && lostAt.set(m.memberId, Date.now())));

    const stopped = Date.now();
    await server.stop();
    await until("both members to drop their leases", () => a.owned().length === 0 && b.owned().length === 0);
    const dropped = Math.max(...lostAt.values()) - stopped;
    console.log(`NATS stopped: leases dropped locally after ${dropped} ms (leaseMs ${leaseMs})`);
    // Due 0.9·leaseMs after the last renewal (before the stop); the rest is timer slack on a busy machine.
    expect(dropped).toBeLessThanOrEqual(leaseMs + 1_000);

    const restarted = Date.now();
    server = await ownNatsServer(dir, port);
    await until("the members to take every partition again", () => balanced([a, b], 6), 60_000);
    console.log(`NATS restarted: balanced again after ${Date.now() - restarted} ms`);
    expect(a.lastError).toBeDefined(); // the ticks did fail meanwhile, and were retried
    expect(unhandled).toEqual([]);
    await a.leave();
    await b.leave();
  });
});
