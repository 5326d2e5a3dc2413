/**
 * Stateful word count, two ways: `updateStateByKey` keeps a running total per word (the function
 * runs for every key, every batch), and `mapWithState` keeps a count per word *session* that ends
 * when the word has not been seen for `idleMs`: the function runs once per record, plus one last
 * time for a key that times out (`state.isTimingOut()`), where it reports the session.
 *
 *   node --import tsx --conditions=dstream-source examples/stateful-word-count.ts [--seconds 10]
 */
import { Seconds, StateSpec, StreamingContext, type DStream, type Duration } from "dstream";
import { feedQueue, numberArg, runFor, stringArg } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** What the mapWithState function emits: a word's session count so far, or its end. */
export type SessionEvent = { word: string; count: number; ended: boolean };

/** Builds both stateful counts over `lines`. */
export function buildStatefulWordCount(lines: DStream<string>, idleMs: Duration) {
  const words = lines.flatMap((l) => l.split(/\s+/).filter((w) => w !== "")).map((w) => [w, 1] as [string, number]);
  const totals = words
    .updateStateByKey((ones: number[], total: number | undefined) => ones.length + (total ?? 0))
    .name("totals");
  const sessions = words
    .mapWithState(
      StateSpec.function((word: string, one: number | undefined, state, _time): SessionEvent | undefined => {
        if (state.isTimingOut()) return { word, count: state.get() as number, ended: true };
        const count = ((state.getOption() as number | undefined) ?? 0) + (one ?? 0);
        state.update(count);
        return { word, count, ended: false };
      }).timeout(idleMs),
    )
    .name("sessions");
  return { totals, sessions, sessionCounts: sessions.stateSnapshots() };
}

const TOPICS = [["spark", "stream"], ["node", "stream"], ["level", "log"]];

async function main(): Promise<void> {
  const dir = stringArg("checkpoint", "./checkpoints/stateful-word-count");
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), stopGracefullyOnShutdown: true });
    const queue: string[][] = [];
    // Each topic is talked about for 3 seconds, then its words go idle.
    feedQueue(ssc, queue, (i) => [(TOPICS[Math.floor(i / 3) % TOPICS.length] ?? []).join(" ")]);
    const { totals, sessions } = buildStatefulWordCount(ssc.queueStream(queue), Seconds(2));
    totals.print();
    sessions.filter((e) => e.ended).foreachRDD((rdd) => {
      for (const e of rdd.collect()) console.log(`session of "${e.word}" ended after ${e.count} occurrences`);
    });
    return ssc;
  });
  await runFor(ssc, numberArg("seconds", 10));
}

if (isMain(import.meta.url)) runMain(main);
