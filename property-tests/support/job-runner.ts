/**
 * Runs a pipeline as a sequence of "processes" on one LevelDB checkpoint directory: each process is
 * a getOrCreate on the directory over a fresh {@link ObservedKv}, and may crash at its k-th storage
 * write. Input arrives through reliable {@link SourceReceiver}s, fed batch by batch on a ManualClock.
 * After the input and a few trailing batches, one more process recovers and reads back the state.
 */
import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { SimulatedCrash } from "../../storage/fault-kv.js";
import { LevelKv } from "../../storage/level-kv.js";
import { ManualClock } from "../../lib/clock.js";
import { StreamingContext } from "../../lib/streaming-context.js";
import { build, type Pipeline } from "./pipeline.js";
import { ObservedKv, type WriteKind } from "./observed-kv.js";
import { asCompared, canonical } from "./seed.js";
import { SourceReceiver } from "./source-receiver.js";

export const BATCH = 1000;

/** One job: the pipeline, its input per stream (batches of chunks) and checkpoint settings. */
export interface JobSpec {
  pipeline: Pipeline;
  /** Per input stream, per batch, the chunks the source offers (one storeMany each). */
  input: [number[][][], number[][][]];
  /** Batches run after the input ends (windows drain, keys time out). */
  trailing: number;
  snapshotInterval: number;
  retainBatches: number;
}

/** What a run saw. */
export interface JobResult {
  /** Output per batch time; the last output of a batch time wins (an idempotent sink). */
  outputs: Map<number, number[]>;
  /** Batch times output more than once with a different output (must stay empty). */
  conflicts: string[];
  /** Batch times output twice (only allowed when a crash came between run and commit). */
  reruns: number[];
  /** The state held at the end, in memory, before the last stop (canonical form). */
  stateAtEnd: string;
  /** The state the recovery process restored from the checkpoint (canonical form). */
  recoveredState: string;
  /** Writes of the first process, by kind. */
  firstProcessKinds: WriteKind[];
  /** Kind of the write each crash happened at. */
  crashedAt: WriteKind[];
  processes: number;
}

interface Process {
  index: number;
  ssc: StreamingContext;
  kv: ObservedKv;
  receivers: SourceReceiver<number>[];
}

/** Cumulative chunk counts: the source offset at the end of each batch. */
function batchEnds(batches: number[][][]): number[] {
  const ends: number[] = [];
  let n = 0;
  for (const b of batches) ends.push((n += b.length));
  return ends;
}

/**
 * Runs `spec` in `dir`. `crashes[i]` is the write index (within process i) at which process i
 * dies; processes beyond the list never crash.
 */
export async function runJob(spec: JobSpec, dir: string, crashes: readonly number[] = []): Promise<JobResult> {
  const result: JobResult = { outputs: new Map(), conflicts: [], reruns: [], stateAtEnd: "", recoveredState: "", firstProcessKinds: [], crashedAt: [], processes: 0 };
  const chunks = spec.input.map((batches) => batches.flat());
  const ends = spec.input.map(batchEnds);
  const inputBatches = Math.max(spec.input[0].length, spec.input[1].length);
  const total = inputBatches + spec.trailing;
  let clock = new ManualClock(0);
  let proc: Process | undefined;

  const record = (time: number, out: number[]): void => {
    const before = result.outputs.get(time);
    if (before !== undefined) {
      result.reruns.push(time);
      if (asCompared(before) !== asCompared(out)) result.conflicts.push(`batch ${time}: first ${JSON.stringify(before)}, then ${JSON.stringify(out)}`);
    }
    result.outputs.set(time, out);
  };

  const open = async (): Promise<Process> => {
    const index = result.processes++;
    if (index > crashes.length + 3) throw new Error(`runJob: ${index} processes; recovery does not make progress`);
    const kv = new ObservedKv(await LevelKv.open(dir), crashes[index] === undefined ? {} : { crashAtWrite: crashes[index] });
    const receivers = chunks.map((c) => new SourceReceiver<number>(c));
    const p: Process = { index, kv, receivers, ssc: undefined as unknown as StreamingContext };
    proc = p;
    p.ssc = await StreamingContext.getOrCreate(dir, () => {
      const ssc = new StreamingContext({
        batchDuration: BATCH,
        clock,
        checkpointOptions: { snapshotInterval: spec.snapshotInterval, retainBatches: spec.retainBatches, openStore: () => CheckpointStore.over(kv) },
      });
      const inputs = receivers.map((r) => ssc.receiverStream(r));
      build(spec.pipeline, inputs).foreachRDD((rdd, time) => record(time, rdd.collect()));
      return ssc;
    });
    await p.ssc.start();
    return p;
  };

  /** The process dies: nothing it would still write reaches the disk; a new one starts at the same time. */
  const crash = async (): Promise<void> => {
    const p = proc!;
    const k = crashes[p.index];
    if (k !== undefined && p.kv.writes > k) result.crashedAt.push(p.kv.kinds[k] ?? "other");
    p.kv.crashNow();
    await p.ssc?.stop().catch(() => undefined);
    await p.kv.inner.close();
    if (p.index === 0) result.firstProcessKinds = [...p.kv.kinds];
    clock = new ManualClock(clock.now());
    proc = undefined;
  };

  /** Starts a process, again and again while starting it crashes. */
  const start = async (): Promise<Process> => {
    for (;;) {
      try {
        return await open();
      } catch (err) {
        if (!SimulatedCrash.is(err) || proc === undefined) throw err;
        await crash();
      }
    }
  };

  let p = await start();
  for (;;) {
    const done = Math.round(clock.now() / BATCH);
    if (done >= total) break;
    try {
      for (const [i, r] of p.receivers.entries()) await r.feedTo(ends[i]![Math.min(done, ends[i]!.length - 1)] ?? 0);
      await clock.advance(BATCH);
    } catch (err) {
      if (!SimulatedCrash.is(err)) throw err;
      await crash();
      p = await start();
    }
  }
  result.stateAtEnd = stateOf(p.ssc);
  if (p.kv.crashed) await crash(); // a background snapshot may have crashed after the last batch
  else {
    await p.ssc.stop();
    // The crash may fall on a snapshot write that stop() waits for: then nothing closed the store.
    if (p.kv.crashed) {
      const k = crashes[p.index];
      if (k !== undefined) result.crashedAt.push(p.kv.kinds[k] ?? "other");
      await p.kv.inner.close();
    }
    if (p.index === 0) result.firstProcessKinds = [...p.kv.kinds];
  }
  // One more process recovers from the checkpoint and reads the state back.
  const last = await start();
  result.recoveredState = stateOf(last.ssc);
  await last.ssc.stop();
  return result;
}

/** Every stateful operator's state, by operator id, in canonical form. */
export function stateOf(ssc: StreamingContext): string {
  return canonical(ssc.graph.stateOperators.map((op) => [op.operatorId, op.snapshot()]));
}
