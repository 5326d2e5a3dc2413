/**
 * A member paused in the middle of a batch, past its lease, while another member runs that batch
 * and commits it: when the paused one continues, it must not write the batch to sinks again. Its
 * commit is fenced anyway; its sink write would come after the new holder's, possibly after the
 * sink forgot it (a JetStream duplicate window, the PostgreSQL ledger's retention).
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { JetStreamBatchPublisher } from "../sinks/jetstream/jetstream-publisher.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { cleanupsAfterEach } from "../test-support/cleanups.js";
import { removeGroup } from "../test-support/group-fixture.js";
import { NATS_URL, testStream, uniqueName } from "../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../test-support/services.js";
import { joinGroup } from "./coordinator.js";
import type { GroupMeta } from "./contracts.js";
import { partitionLog } from "./partition-log.js";

const nats = await serviceAvailable("nats");
const cleanup = cleanupsAfterEach();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe.skipIf(!nats)("a member that lost its partition in the middle of a batch", () => {
  it("does not write the batch to a sink after the new holder wrote and committed it (JetStream's duplicate window passed meanwhile)", async () => {
    const input = await testStream();
    cleanup(() => input.remove());
    const target = await testStream({ duplicateWindowMs: 1000 });
    cleanup(() => target.remove());
    const out = `${target.stream}.out`;
    await input.publish(0, "hello");
    const group = uniqueName("g");
    cleanup(() => removeGroup(group));

    // Member A: batch 1000 waits in its first output operation, before the sink.
    let inBatch = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock, group: { name: group, servers: NATS_URL, leaseMs: 1500 } });
    cleanup(() => ssc.stop().catch(() => undefined));
    const lines = ssc.jetStream<string>({ servers: NATS_URL, stream: input.stream, subject: input.subject, partitions: 1 }).map((m) => m.value);
    lines.foreachRDD(async () => {
      inBatch = true;
      await gate;
    });
    lines.name("out").saveToJetStream({ servers: NATS_URL, subject: out, recoveryWindow: 1000 });
    let sinkDone = false;
    ssc.addStreamingListener({ onOutputOperationCompleted: (e) => void (e.outputOperationInfo.name === "saveToJetStream" && (sinkDone = true)) });
    await ssc.start();
    await until("A to hold partition 0", () => ssc.group!.owned().length === 1);
    void clock.advance(1000);
    await until("A in batch 1000", () => inBatch);
    // A stops renewing (its timers stop, as in a pause whose overdue timers have not run yet).
    const coordinator = (ssc.group as unknown as { coordinator: { stopTimers(): void; meta: GroupMeta } }).coordinator;
    coordinator.stopTimers();

    // B takes partition 0 and runs batch 1000 from A's plan: the sink's message, then the commit.
    const b = await joinGroup({ servers: [NATS_URL], group, leaseMs: 1500, proposed: coordinator.meta });
    cleanup(() => b.leave());
    await until("B to take partition 0", () => b.owned().length === 1);
    const client = JetStreamClient.open([NATS_URL]);
    cleanup(() => client.release());
    const log = partitionLog(client, { group, partitions: 1 });
    expect((await log.open(0)).entries.map((e) => `${e.kind} ${e.time}`)).toEqual(["plan 1000"]);
    const publisher = new JetStreamBatchPublisher([NATS_URL], 1000, out);
    cleanup(() => publisher.close());
    await publisher.publish("out.saveToJetStream/p0", 1000, 1000, [{ subject: out, data: new TextEncoder().encode("hello") }], coordinator.meta.jobId);
    await log.append(0, { kind: "commit", time: 1000, deltas: {}, member: "b" });

    // A goes on after the target stream's duplicate window. Before: its sink published the
    // batch again, and the stream held "hello" twice.
    await sleep(1200);
    release();
    await until("A's sink operation of batch 1000", () => sinkDone);
    expect((await target.read(out)).map((m) => new TextDecoder().decode(m.data))).toEqual(["hello"]);
  });
});
