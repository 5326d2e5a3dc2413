import { JobError } from "../../errors.js";
import type { SchedulingClock, TimerHandle } from "../clock.js";
import type { DStreamGraph } from "../dstream-graph.js";
import type { BatchInfo, ListenerBus, OutputOperationInfo } from "../listener.js";
import type { Duration, Time } from "../time.js";
import type { BatchCommit, BatchLog, BatchPlan } from "./batch-log.js";
import { catchUpRange, type CatchUpRange } from "./catch-up.js";

/** Batch generation runs after block cuts due at the same instant (receivers use priority 0). */
export const BATCH_TIMER_PRIORITY = 10;

/**
 * Batches of a catch-up go in groups of this many: one synced write records a group's plans and
 * commits the group before it, so the fsync is paid per group, not per batch. A crash redoes at
 * most one group, with its recorded plans.
 */
export const CATCH_UP_GROUP = 1024;
/** A group that has run this long (wall-clock ms) commits at once, whatever its size. */
const CATCH_UP_GROUP_MS = 250;
/** A catch-up cleans the checkpoint after every this many groups, and after its last. */
const CATCH_UP_CLEAN_EVERY = 8;

/** A batch to run at restart: planned before the crash (`plan`), or a missed time to plan now. */
export interface MissedBatch {
  time: Time;
  plan?: BatchPlan;
}

/** The closed set of events the scheduler's loop processes, one at a time. */
type SchedulerEvent =
  | { type: "generate"; time: Time }
  | { type: "catchUp"; pending: readonly MissedBatch[]; from: Time; to: Time }
  | { type: "drain" }
  | { type: "stop" };

/** A batch that ran and awaits its commit. */
export interface Executed {
  time: Time;
  plan: BatchPlan;
  info: BatchInfo;
  commit: BatchCommit;
}

/** What the scheduler needs from its context. */
export interface SchedulerDeps {
  graph: DStreamGraph;
  listeners: ListenerBus;
  clock: SchedulingClock;
  log: BatchLog;
  batchDuration: Duration;
  /** Called once with the error that failed a batch; the context stops with it. */
  onError(err: unknown): void;
}

/**
 * Drives batches (Spark's JobGenerator and JobScheduler in one): a timer posts `generate(t)` on the
 * batch grid, and one serial loop takes each batch through plan → run → commit → clean, strictly in
 * time order. A batch that runs long delays the next ones; none is skipped.
 */
export class JobScheduler {
  private tail: Promise<void> = Promise.resolve();
  private timer: TimerHandle | undefined;
  private nextTime: Time | undefined;
  private lastTime: Time | undefined;
  private halted = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** The time of the last batch that was committed, if any. */
  get lastCommittedTime(): Time | undefined {
    return this.lastTime;
  }

  /**
   * At restart: re-runs the batches planned before the crash (`pending`, with exactly their
   * recorded input), then the grid times `from`..`to` that passed while the job was down (none when
   * `to < from`), in time order, as one event of the loop. The first missed time takes the input
   * stored before the restart; the others are empty (see InputDStream.planCatchUp). Batches go in
   * groups of CATCH_UP_GROUP: their plans in one write before any of them runs, their commits in
   * one write after, so an empty batch costs no fsync of its own.
   */
  catchUp(pending: readonly MissedBatch[], from: Time, to: Time): Promise<void> {
    return this.post({ type: "catchUp", pending, from, to });
  }

  private generate(time: Time): Promise<void> {
    return this.post({ type: "generate", time });
  }

  /** Starts the timer: the first batch at `firstTime`, then every batch duration. */
  startTimer(firstTime: Time): void {
    this.nextTime = firstTime;
    this.arm();
  }

  /**
   * Stops generating batches. With `drain`, first runs batches at the next grid times, without
   * waiting for the clock, until no input has data waiting (a graceful stop). Resolves when the
   * batch in flight, if any, has finished.
   */
  async stop(drain: boolean): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    if (drain) await this.post({ type: "drain" }).catch(() => undefined);
    await this.post({ type: "stop" }).catch(() => undefined);
  }

  private arm(): void {
    const time = this.nextTime;
    if (time === undefined || this.halted) return;
    this.timer = this.deps.clock.schedule(time, BATCH_TIMER_PRIORITY, () => {
      this.nextTime = time + this.deps.batchDuration;
      this.arm();
      const done = this.generate(time);
      // The error reaches the context through onError; the clock's caller may await it too.
      done.catch(() => undefined);
      return done;
    });
  }

  private post(event: SchedulerEvent): Promise<void> {
    const done = this.tail.then(() => this.process(event));
    this.tail = done.catch(() => undefined);
    return done;
  }

  private async process(event: SchedulerEvent): Promise<void> {
    if (this.halted) return;
    try {
      switch (event.type) {
        case "generate":
          // The timer fired at the batch time: any wait since is scheduling delay.
          return await this.runBatch(event.time, await this.plan(event.time), Math.min(event.time, this.deps.clock.now()));
        case "catchUp":
          return await this.runCatchUp(event.pending, event.from, event.to);
        case "drain":
          return await this.drain();
        case "stop":
          this.halted = true;
          return;
      }
    } catch (err) {
      this.halted = true;
      this.timer?.cancel();
      this.deps.onError(err);
      throw err;
    }
  }

  private async drain(): Promise<void> {
    const { graph, batchDuration } = this.deps;
    let time = Math.max(this.nextTime ?? 0, (this.lastTime ?? 0) + batchDuration);
    while (graph.inputStreams.some((i) => i.hasPendingInput())) {
      await this.runBatch(time, await this.plan(time), this.deps.clock.now());
      time += batchDuration;
    }
    this.nextTime = time;
  }

  /**
   * Step 1: assign input to the batch; made durable (by the caller for a catch-up) before it runs.
   * `catchUp` plans a batch time missed while the job was down.
   */
  private async plan(time: Time, catchUp?: { first: boolean }): Promise<BatchPlan> {
    const plan: BatchPlan = { inputs: {} };
    for (const input of this.deps.graph.inputStreams) plan.inputs[input.streamId] = await (catchUp === undefined ? input.plan(time) : input.planCatchUp(time, catchUp.first));
    if (catchUp !== undefined) return plan;
    // A catch-up plans a group ahead, before the batches before these have run: operators decide
    // (e.g. a watermark) when such a batch runs, from the state of the batch before it, which a
    // re-run restores and recomputes the same way (the input of every batch is in its plan).
    for (const op of this.deps.graph.stateOperators) {
      const decided = op.planBatch?.(time);
      if (decided !== undefined) (plan.operators ??= {})[op.operatorId] = decided;
    }
    await this.deps.log.writePlan(time, plan);
    return plan;
  }

  /** Steps 2 to 4: run the output operations, commit, clean. */
  private async runBatch(time: Time, plan: BatchPlan, submissionTime: number): Promise<void> {
    const done = await this.execute(time, plan, submissionTime);
    await this.deps.log.writeCommit(time, done.commit);
    await this.committed([done]);
  }

  private async runCatchUp(pending: readonly MissedBatch[], from: Time, to: Time): Promise<void> {
    const { log, clock, batchDuration, listeners } = this.deps;
    const range: CatchUpRange | undefined = to >= from ? catchUpRange(from, to, batchDuration, clock.now()) : undefined;
    if (range !== undefined) announceCatchUp(range, listeners);
    const started = performance.now();
    const queue: MissedBatch[] = [...pending];
    let nextMissed = from;
    let ran: Executed[] = [];
    let groups = 0;
    while (queue.length > 0 || nextMissed <= to) {
      const group: MissedBatch[] = queue.splice(0, CATCH_UP_GROUP);
      for (; group.length < CATCH_UP_GROUP && nextMissed <= to; nextMissed += batchDuration) group.push({ time: nextMissed });
      const plans: { time: Time; plan: BatchPlan }[] = [];
      for (const b of group) {
        if (b.plan !== undefined) continue;
        b.plan = await this.plan(b.time, { first: b.time === from });
        plans.push({ time: b.time, plan: b.plan });
      }
      // One write commits the previous group and records this group's plans: every plan is
      // durable before its batch runs, so a re-run after a crash computes exactly the same batch.
      await log.writeBatches(ran.map(committable), plans);
      // Cleaning scans what it deletes: once every few groups is enough to bound the checkpoint.
      await this.committed(ran, ++groups % CATCH_UP_CLEAN_EVERY === 0);
      ran = [];
      const submissionTime = clock.now();
      // Heavy batches (a large state changing at every batch) end a group early: its deltas wait
      // in memory until the group commits. The rest of the group is planned already and goes next.
      const budgetEnd = performance.now() + CATCH_UP_GROUP_MS;
      let n = 0;
      while (n < group.length) {
        const b = group[n++] as MissedBatch;
        ran.push(await this.execute(b.time, b.plan as BatchPlan, submissionTime));
        if (performance.now() > budgetEnd) break;
      }
      queue.unshift(...group.slice(n));
    }
    await log.writeBatches(ran.map(committable), []);
    await this.committed(ran);
    if (range !== undefined) listeners.post("onCatchUpCompleted", { ...range, durationMs: performance.now() - started });
  }

  /** Runs the output operations of batch `time` and collects its state deltas: all but the commit. */
  private execute(time: Time, plan: BatchPlan, submissionTime: number): Promise<Executed> {
    return executeBatch(this.deps, time, plan, submissionTime);
  }

  /** After the commit write of `batches` (ascending): release their input, report them, clean. */
  private async committed(batches: readonly Executed[], clean = true): Promise<void> {
    const { graph, listeners, clock, log } = this.deps;
    for (const { time, plan, info } of batches) {
      this.lastTime = time;
      for (const input of graph.inputStreams) await input.batchCommitted(time, plan.inputs[input.streamId]);
      reportBatchCompleted(listeners, clock, info);
    }
    // Clean (once per commit write): forget RDDs, stored records and batch records no retained
    // batch needs.
    const last = batches.at(-1);
    if (last === undefined) return;
    graph.clearMetadata(last.time);
    if (clean) await log.clean(last.time);
  }
}

/**
 * Runs the output operations of batch `time` and collects its state deltas: all but the commit.
 * `beforeJobs` runs once the inputs' RDDs are in place (a group member exchanges its shuffles there).
 */
export async function executeBatch(
  deps: Pick<SchedulerDeps, "graph" | "listeners" | "clock">,
  time: Time,
  plan: BatchPlan,
  submissionTime: number,
  beforeJobs?: () => Promise<void>,
): Promise<Executed> {
  const { graph, listeners, clock } = deps;
  let numRecords = 0;
  const streamIdToInputInfo: BatchInfo["streamIdToInputInfo"] = {};
  for (const input of graph.inputStreams) {
    const inputPlan = plan.inputs[input.streamId];
    input.provideRdd(time, await input.materialize(time, inputPlan));
    const n = input.recordCount(inputPlan);
    numRecords += n;
    streamIdToInputInfo[input.streamId] = { inputStreamId: input.streamId, numRecords: n };
  }
  for (const op of graph.stateOperators) op.beginBatch?.(time, plan.operators?.[op.operatorId]);
  await beforeJobs?.();
  const info: BatchInfo = { batchTime: time, numRecords, streamIdToInputInfo, submissionTime, outputOperationInfos: [] };
  listeners.post("onBatchSubmitted", { batchInfo: { ...info } });
  info.processingStartTime = clock.now();
  info.schedulingDelay = Math.max(0, info.processingStartTime - submissionTime);
  listeners.post("onBatchStarted", { batchInfo: { ...info } });

  for (const { output, job } of graph.jobs(time)) {
    const op: OutputOperationInfo = { batchTime: time, id: output.outputOpId, name: output.opName, description: output.description };
    try {
      const j = job();
      // As Spark's job set: an output operation with no RDD at this time (a window between
      // slides) has no job and is not part of the batch.
      if (j === undefined) continue;
      info.outputOperationInfos.push(op);
      op.startTime = clock.now();
      listeners.post("onOutputOperationStarted", { outputOperationInfo: { ...op } });
      await j.run();
    } catch (err) {
      if (!info.outputOperationInfos.includes(op)) info.outputOperationInfos.push(op);
      op.failureReason = err instanceof Error ? err.message : String(err);
      throw new JobError(time, output.outputOpId, output.description, err);
    } finally {
      if (op.startTime !== undefined) {
        op.endTime = clock.now();
        op.duration = op.endTime - op.startTime;
        listeners.post("onOutputOperationCompleted", { outputOperationInfo: { ...op } });
      }
    }
  }

  // Every stateful operator's delta, for the commit's one atomic write.
  const deltas: Record<string, unknown> = {};
  for (const op of graph.stateOperators) {
    try {
      // State advances with every batch on its grid, in that batch's commit, even when no output
      // reads it now (a window with a longer slide reads it later): a restart in between must
      // not find the batch committed but its state change missing.
      op.getOrCompute(time);
      (op as { onBatch?(t: Time): void }).onBatch?.(time);
    } catch (err) {
      throw new JobError(time, undefined, `${op.kind} ${op.operatorId}`, err);
    }
    const delta = op.takeDelta(time);
    if (delta !== undefined) deltas[op.operatorId] = delta;
  }
  const outputs: Record<string, unknown[]> = {};
  for (const op of graph.historyOperators()) {
    const rdd = op.getOrCompute(time);
    if (rdd !== undefined) outputs[op.operatorId] = rdd.collect();
  }
  // The batch's own figures (event-time operators), while they are the batch's: a catch-up
  // reports a whole group after its commit.
  for (const op of graph.stateOperators) op.reportBatch?.(time, info);
  return { time, plan, info, commit: { deltas, outputs } };
}

/** Completes `info` with its end time and delays and posts onBatchCompleted. */
export function reportBatchCompleted(listeners: ListenerBus, clock: SchedulingClock, info: BatchInfo): void {
  info.processingEndTime = clock.now();
  info.processingDelay = Math.max(0, info.processingEndTime - (info.processingStartTime as number));
  info.totalDelay = Math.max(0, info.processingEndTime - info.submissionTime);
  listeners.post("onBatchCompleted", { batchInfo: { ...info, outputOperationInfos: info.outputOperationInfos.map((o) => ({ ...o })) } });
}

function committable(e: Executed): { time: Time; commit: BatchCommit } {
  return { time: e.time, commit: e.commit };
}

/** Says, on stderr and to listeners, that a restart runs the batches missed while the job was down. */
function announceCatchUp(range: CatchUpRange, listeners: ListenerBus): void {
  const iso = (t: Time): string => (Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t));
  console.warn(
    `dstream: catching up ${range.numBatches} batch${range.numBatches === 1 ? "" : "es"} missed while down (from ${range.fromTime} ms ${iso(range.fromTime)} to ${range.toTime} ms ${iso(range.toTime)}); records received since the restart go to batches from ${range.toTime + range.batchDuration} ms on`,
  );
  listeners.post("onCatchUpStarted", range);
}
