import { JobError } from "../../errors.js";
import type { SchedulingClock, TimerHandle } from "../clock.js";
import type { DStreamGraph } from "../dstream-graph.js";
import type { BatchInfo, ListenerBus, OutputOperationInfo } from "../listener.js";
import type { Duration, Time } from "../time.js";
import type { BatchLog, BatchPlan } from "./batch-log.js";

/** Batch generation runs after block cuts due at the same instant (receivers use priority 0). */
export const BATCH_TIMER_PRIORITY = 10;

/** The closed set of events the scheduler's loop processes, one at a time. */
type SchedulerEvent =
  | { type: "generate"; time: Time }
  | { type: "replay"; time: Time; plan: BatchPlan }
  | { type: "drain" }
  | { type: "stop" };

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

  /** Re-runs a batch that was planned before a crash, with exactly its recorded input. */
  replay(time: Time, plan: BatchPlan): Promise<void> {
    return this.post({ type: "replay", time, plan });
  }

  /** Runs a batch now (recovery uses it for batch times that passed while the job was down). */
  generate(time: Time): Promise<void> {
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
        case "replay":
          return await this.runBatch(event.time, event.plan, this.deps.clock.now());
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

  /** Step 1: assign input to the batch and make the assignment durable. */
  private async plan(time: Time): Promise<BatchPlan> {
    const plan: BatchPlan = { inputs: {} };
    for (const input of this.deps.graph.inputStreams) plan.inputs[input.streamId] = await input.plan(time);
    for (const op of this.deps.graph.stateOperators) {
      const decided = op.planBatch?.(time);
      if (decided !== undefined) (plan.operators ??= {})[op.operatorId] = decided;
    }
    await this.deps.log.writePlan(time, plan);
    return plan;
  }

  /** Steps 2 to 4: run the output operations, commit, clean. */
  private async runBatch(time: Time, plan: BatchPlan, submissionTime: number): Promise<void> {
    const { graph, listeners, clock, log } = this.deps;
    let numRecords = 0;
    for (const input of graph.inputStreams) {
      const inputPlan = plan.inputs[input.streamId];
      input.provideRdd(time, await input.materialize(time, inputPlan));
      numRecords += input.recordCount(inputPlan);
    }
    for (const op of graph.stateOperators) op.beginBatch?.(time, plan.operators?.[op.operatorId]);
    const info: BatchInfo = { batchTime: time, numRecords, submissionTime, outputOperationInfos: [] };
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

    // Commit: every stateful operator's delta in one atomic write.
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
    await log.writeCommit(time, { deltas, outputs });
    this.lastTime = time;
    for (const input of graph.inputStreams) await input.batchCommitted(time, plan.inputs[input.streamId]);

    info.processingEndTime = clock.now();
    info.processingDelay = Math.max(0, info.processingEndTime - info.processingStartTime);
    info.totalDelay = Math.max(0, info.processingEndTime - submissionTime);
    for (const op of graph.stateOperators) op.reportBatch?.(time, info);
    listeners.post("onBatchCompleted", { batchInfo: { ...info, outputOperationInfos: info.outputOperationInfos.map((o) => ({ ...o })) } });

    // Clean: forget RDDs and stored records no retained batch needs.
    graph.clearMetadata(time);
    await log.clean(time);
  }
}
