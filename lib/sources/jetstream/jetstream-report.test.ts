import { describe, expect, it } from "vitest";
import { formatReport } from "../../../bin/format-report.js";
import { inspectCheckpoint } from "../../../bin/inspect.js";
import { CheckpointStore } from "../../../storage/checkpoint-store.js";
import { LevelKv } from "../../../storage/level-kv.js";
import { ManualClock } from "../../clock.js";
import { StreamingContext } from "../../streaming-context.js";
import { CrashBeforeCommitKv } from "../../test-support/crash-before-commit.js";
import { NATS_URL, testStream } from "../../test-support/jetstream-fixture.js";
import { serviceAvailable } from "../../test-support/services.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";

const nats = await serviceAvailable("nats");
const tempDir = tempDirs("dstream-js-inspect-");
const cleanup = cleanupsAfterEach();

describe.skipIf(!nats)("dstream inspect: jetStream offsets and lag", () => {
  it("shows per partition the committed and planned offsets, what pending batches re-read, and the lag", async () => {
    const s = await testStream();
    cleanup(() => s.remove());
    const dir = await tempDir();
    for (let i = 0; i < 4; i++) await s.publish(i % 2, `m${i}`); // seqs 1..4: p0 has 1, 3; p1 has 2, 4
    const clock = new ManualClock(0);
    let kv: CrashBeforeCommitKv | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const c = new StreamingContext({ batchDuration: 1000, clock, checkpointOptions: { openStore: async (d) => CheckpointStore.over((kv = new CrashBeforeCommitKv(await LevelKv.open(d)))) } });
      c.jetStream({ servers: NATS_URL, stream: s.stream, subject: s.subject, partitions: 2 }).foreachRDD(() => undefined);
      return c;
    });
    await ssc.start();
    await clock.advance(1000); // batch 1000 commits seqs 1..4
    await s.publish(0, "m4"); // seq 5
    kv!.armed = true;
    await expect(clock.advance(1000)).rejects.toThrow(/Simulated crash/); // batch 2000 planned (seq 5), never committed
    await ssc.stop().catch(() => undefined);
    await kv!.inner.close();
    await s.publish(1, "m5"); // seq 6, not planned yet
    await s.publish(1, "m6"); // seq 7

    const report = await inspectCheckpoint(dir);
    expect(report.pendingBatches).toEqual([2000]);
    expect(report.jetStream).toEqual([
      {
        inputId: 0,
        servers: [NATS_URL],
        stream: s.stream,
        subject: s.subject,
        partitions: [
          { partition: 0, subject: `${s.subject}.0`, committedOffset: 4, plannedOffset: 5, pendingMessages: 1, lag: 0 },
          { partition: 1, subject: `${s.subject}.1`, committedOffset: 4, plannedOffset: 5, pendingMessages: 0, lag: 2 },
        ],
      },
    ]);
    const text = formatReport(report);
    expect(text).toContain(`jetStream input 0: stream ${s.stream}, ${s.subject}.<p> on ${NATS_URL}`);
    expect(text).toMatch(/partition\s+committed offset\s+planned offset\s+pending msgs\s+lag\n\s+0\s+4\s+5\s+1\s+0\n\s+1\s+4\s+5\s+0\s+2/);

    // Without the server: offsets still, lag unknown.
    const offline = await inspectCheckpoint(dir, { lag: false });
    expect(offline.jetStream[0]!.partitions.map((p) => p.lag)).toEqual([undefined, undefined]);
    expect(formatReport(offline)).toMatch(/\n\s+1\s+4\s+5\s+0\s+\?/);
  });
});
