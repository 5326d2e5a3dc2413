import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { oneMemberWordCount, removeGroup } from "../test-support/group-fixture.js";
import { testStream, uniqueName } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import type { GroupUiView } from "./group-panel.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();
const PARTITIONS = 3;

/** GETs `url` until `ok(body)` holds (the group is read in the background), with a deadline. */
async function pollJson<T>(url: string, ok: (body: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(url);
    expect(res.status, url).toBe(200);
    const body = (await res.json()) as T;
    if (ok(body)) return body;
    if (Date.now() > deadline) throw new Error(`${url} never answered as expected; last: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!nats)("the UI of a group member", () => {
  it("serves the group under …/streaming/dstream/group, in the summary event, and as /metrics gauges", async () => {
    const s = await testStream();
    cleanup(() => s.remove());
    for (const [i, line] of ["a b", "b c", "c d", "a a", "e"].entries()) await s.publish(i % PARTITIONS, line);
    const group = uniqueName("ui");
    cleanup(() => removeGroup(group));
    const job = await oneMemberWordCount(s, { group, partitions: PARTITIONS, appName: "group-job", ui: true });
    cleanup(() => job.ssc.stop().catch(() => undefined));
    await job.runThrough(3000);
    const memberId = job.ssc.group!.memberId;
    const api = `${job.ssc.uiUrl}api/v1/applications/group-job/streaming/`;

    const view = await pollJson<GroupUiView>(`${api}dstream/group`, (v) => v.status?.partitionStatus.every((p) => p.lastCommitTime === 3000) === true);
    expect(view).toMatchObject({ group, memberId, owned: [0, 1, 2], error: null });
    expect(view.status).toMatchObject({ group, partitions: PARTITIONS, batchDuration: 1000, leaseMs: 5000 });
    expect(view.status!.members).toEqual([{ id: memberId, live: true, heartbeatAgeMs: expect.any(Number), partitions: [0, 1, 2].map((partition) => ({ partition, epoch: 1 })) }]);
    for (const p of view.status!.partitionStatus) expect(p).toMatchObject({ holder: memberId, lastCommitTime: 3000, lastCommitMember: memberId, snapshotTime: 2000, lagBatches: 0 });

    const metrics = await (await fetch(`${job.ssc.uiUrl}metrics`)).text();
    const labels = `app="group-job",group="${group}"`;
    expect(metrics).toContain(`dstream_group_partitions_held{${labels},member="${memberId}"} 3\n`);
    expect(metrics).toContain(`dstream_group_members{${labels}} 1\n`);
    expect(metrics).toContain(`dstream_group_partitions{${labels}} 3\n`);
    for (const p of [0, 1, 2]) {
      expect(metrics).toContain(`dstream_group_partition_committed_batch_time_seconds{${labels},partition="${p}"} 3\n`);
      expect(metrics).toContain(`dstream_group_partition_lag_batches{${labels},partition="${p}"} 0\n`);
    }
    expect(metrics).toMatch(/# TYPE dstream_group_partition_committed_batch_time_seconds gauge\n/);

    // The live updates: after a batch, the summary carries the group, and a fresh read comes as a
    // `group` event. The group is read again at most every 2 s, when something asks: a batch with a
    // page open does; so batches run until a read shows them.
    const events = await fetch(`${job.ssc.uiUrl}events`);
    const reader = events.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    const frames = (event: string): GroupUiView[] => [...text.matchAll(new RegExp(`event: ${event}\ndata: (.*)\n`, "g"))].map((m) => JSON.parse(m[1] as string) as GroupUiView);
    const committed = (v: GroupUiView | null): number => Math.min(...(v?.status?.partitionStatus.map((p) => p.lastCommitTime ?? 0) ?? [0]));
    const deadline = Date.now() + 30_000;
    while (!frames("group").some((v) => committed(v) >= 4000) || !frames("summary").some((x) => committed((x as unknown as { group: GroupUiView | null }).group) >= 3000)) {
      if (Date.now() > deadline) throw new Error(`no group event with batch 4000 committed; got: ${text.slice(-2000)}`);
      await job.runThrough(job.clock.now() + 1000);
      await new Promise((r) => setTimeout(r, 200));
    }
    await reader.cancel();
    await reading;
  });

  it("a job that runs alone has no group: 404 under dstream/group, no group gauges", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), appName: "alone", ui: { port: 0 } });
    cleanup(() => ssc.stop().catch(() => undefined));
    ssc.queueStream([["a"]]).foreachRDD(() => undefined);
    await ssc.start();
    const res = await fetch(`${ssc.uiUrl}api/v1/applications/alone/streaming/dstream/group`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/not a member of a group/);
    expect(await (await fetch(`${ssc.uiUrl}metrics`)).text()).not.toContain("dstream_group_");
  });
});
