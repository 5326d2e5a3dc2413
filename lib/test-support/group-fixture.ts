import { ManualClock } from "../clock.js";
import type { DStream } from "../dstream/internal.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { StreamingContext } from "../streaming-context.js";
import { NATS_URL, type TestStream } from "./jetstream-fixture.js";

/** Deletes everything group `name` keeps in JetStream: its KV bucket, log, shuffle and receiver streams. */
export async function removeGroup(name: string): Promise<void> {
  const client = JetStreamClient.open([NATS_URL]);
  try {
    for (const stream of [`KV_dstream_group_${name}`, `DSTREAM_GROUP_${name}_LOG`, `DSTREAM_GROUP_${name}_SHUF`, `DSTREAM_GROUP_${name}_RECV`]) await client.deleteStream(stream);
  } finally {
    await client.release();
  }
}

/** A one-member group job: see {@link oneMemberWordCount}. */
export interface OneMemberJob {
  ssc: StreamingContext;
  clock: ManualClock;
  /** Advances the clock batch by batch until batch `time` has completed (polling with a deadline). */
  runThrough(time: number): Promise<void>;
}

/**
 * A one-member group on a ManualClock at 0 running a word count with running totals (a snapshot
 * every 2 commits) over `stream`'s `partitions` partitions; started, stopped by the caller.
 */
export async function oneMemberWordCount(
  stream: TestStream,
  options: { group: string; partitions: number; leaseMs?: number; appName?: string; ui?: boolean; beforeStart?: (ssc: StreamingContext) => void },
): Promise<OneMemberJob> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({
    batchDuration: 1000,
    clock,
    ...(options.appName === undefined ? {} : { appName: options.appName }),
    ...(options.ui === true ? { ui: { port: 0 } } : {}),
    group: { name: options.group, servers: NATS_URL, leaseMs: options.leaseMs ?? 5000, snapshotInterval: 2 },
  });
  const completed: number[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo.batchTime) });
  ssc
    .jetStream<string>({ servers: NATS_URL, stream: stream.stream, subject: stream.subject, partitions: options.partitions })
    .flatMap((m) => m.value.split(" "))
    .map((w): [string, number] => [w, 1])
    .updateStateByKey((vs: number[], total: number | undefined) => vs.reduce((a, b) => a + b, total ?? 0))
    .name("totals")
    .foreachRDD(() => undefined);
  options.beforeStart?.(ssc);
  await ssc.start();
  return {
    ssc,
    clock,
    async runThrough(time) {
      const deadline = Date.now() + 60_000;
      while (!completed.includes(time)) {
        if (Date.now() > deadline) throw new Error(`batch ${time} did not complete; completed: ${completed.join(", ")}`);
        if (clock.now() < time && (completed.at(-1) ?? 0) >= clock.now()) await clock.advance(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

/**
 * A one-member group (leaseMs 1500) on a ManualClock at 0 whose job is `define` over the values of
 * `input`'s partition 0; it records the batches it completes. Not started; stopped by the caller.
 */
export function oneMemberGroup(input: TestStream, group: string, define: (values: DStream<string>) => void): { ssc: StreamingContext; clock: ManualClock; completed: number[] } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, group: { name: group, servers: NATS_URL, leaseMs: 1500 } });
  const completed: number[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo.batchTime) });
  define(ssc.jetStream<string>({ servers: NATS_URL, stream: input.stream, subject: input.subject, partitions: 1 }).map((m) => m.value));
  return { ssc, clock, completed };
}
