/**
 * One member of a group (DESIGN.md §10): the same job code in every member; this member runs the
 * batches of the partitions it holds a lease on. Per batch time T and per partition p it holds
 * (those whose last commit is T − batch):
 *
 *   1. plan: p's input ranges, appended to p's log before anything runs (a re-run, here or in the
 *      member that takes p over, reads exactly these ranges);
 *   2. run: the inputs' RDDs (partition p of each holds p's range), the shuffles through JetStream
 *      (each exchange publishes p's records per target partition and collects, for p, what every
 *      partition sent it), then the job's output operations; sinks write each partition under its
 *      own sink id, so a re-run writes nothing twice;
 *   3. commit: p's state deltas, one message on p's log, fenced by the sequence this member last
 *      saw: a member that lost p (paused past its lease, cut off) cannot commit it.
 *
 * Ownership changes are applied between batches: a partition gained is read back from its log
 * (newest snapshot, then the entries after it), a partition lost is dropped. A batch whose
 * shuffle waits on a partition this member has just gained is abandoned and run again, with that
 * partition brought up to the same time first.
 */
import { setMaxListeners } from "node:events";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { ExchangeDStream, RepartitionedDStream, isPartitionedStateOperator, type PartitionedStateOperator } from "../dstream/internal.js";
import type { TimerHandle } from "../clock.js";
import type { BatchPlan } from "../scheduler/batch-log.js";
import { BATCH_TIMER_PRIORITY, executeBatch, reportBatchCompleted } from "../scheduler/job-scheduler.js";
import { JetStreamClient } from "../sources/jetstream/jetstream-client.js";
import { JetStreamInputDStream } from "../sources/jetstream/jetstream-input-dstream.js";
import type { PartitionRange } from "../sources/jetstream/partition-range.js";
import type { StreamingContext } from "../streaming-context.js";
import type { Time } from "../time.js";
import type { GroupBatchView, GroupCoordinator, GroupHandle, MemberInfo, PartitionLog, PlanEntry, ShuffleExchange } from "./contracts.js";
import { joinGroup } from "./coordinator.js";
import { newGroupJobId } from "../job-identity.js";
import { shuffleExchange } from "./exchange.js";
import type { ResolvedGroupOptions } from "./group-options.js";
import { partitionLog } from "./partition-log.js";
import { GroupReceiverInputDStream, receiverStreamName } from "./group-receiver.js";
import { readGroupStatus, type GroupStatus } from "./group-status.js";

/** A partition's plan: per input stream id, its range. */
interface GroupPlan {
  inputs: Record<number, PartitionRange>;
}

/** What this member knows of a partition it holds. */
interface Held {
  /** The last batch committed (the grid's zero time when none). */
  committed: Time;
  /** A plan recorded after the last commit: the next batch runs with exactly it. */
  pending: PlanEntry | undefined;
  /** Per input stream id, the last sequence planned. */
  positions: Record<number, number>;
  /** Commits since the partition's last snapshot. */
  sinceSnapshot: number;
  /** Per exchange id, per batch time collected for this partition: the lowest stream sequence of its parts. */
  partSeqs: Map<string, Map<Time, number>>;
}

/** The key under which a snapshot keeps the inputs' positions (operator ids never start with $). */
const POSITIONS = "$positions";
/** A failing batch (NATS away, a sink's database away) is retried this many times in a row before the member stops. */
const MAX_RETRIES = 40;

/** Thrown inside a batch: this member's view of partition p was stale. */
class Fenced extends Error {
  constructor(
    readonly partition: number,
    cause: unknown,
  ) {
    super(`partition ${partition} fenced`, { cause });
  }
}

/** The reason a batch is abandoned when this member gains a partition while it runs. */
class Rebalanced extends Error {}

export class GroupRuntime implements GroupBatchView, GroupHandle {
  partitions = 0;
  active: readonly number[] = [];
  private coordinator: GroupCoordinator | undefined;
  private client: JetStreamClient | undefined;
  private log!: PartitionLog;
  private exchange!: ShuffleExchange;
  private inputs: JetStreamInputDStream<unknown>[] = [];
  private exchanges: ExchangeDStream<unknown>[] = [];
  private operators: (PartitionedStateOperator & { operatorId: string })[] = [];
  private readonly held = new Map<number, Held>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private inflight: AbortController | undefined;
  private wakeUp: (() => void) | undefined;
  private zeroTime: Time = 0;
  /** The partitions of the last batch run, joined: a different set invalidates cached batches. */
  private lastActive = "";

  constructor(
    private readonly ssc: StreamingContext,
    private readonly options: ResolvedGroupOptions,
    private readonly deps: { onError(err: unknown): void },
  ) {}

  get name(): string {
    return this.options.name;
  }

  get memberId(): string {
    return this.coordinator?.memberId ?? this.options.memberId ?? "";
  }

  owned(): number[] {
    return this.coordinator?.owned() ?? [];
  }

  /** The group's job id, from its meta once joined; undefined for a group created before job ids. */
  get jobId(): string | undefined {
    return this.coordinator?.meta.jobId;
  }

  holds(p: number): boolean {
    return this.owned().includes(p);
  }

  async members(): Promise<MemberInfo[]> {
    if (this.coordinator === undefined) return [];
    return this.coordinator.members();
  }

  /** Checks the graph, joins the group (refused on a mismatching graph) and opens its streams. */
  async join(): Promise<void> {
    const { graph, batchDuration, clock } = this.ssc;
    this.checkGraph();
    const partitions = (this.inputs[0] as JetStreamInputDStream<unknown>).options.partitions;
    this.partitions = partitions;
    this.ssc.groupPartitions = partitions;
    this.client = JetStreamClient.open(this.options.servers);
    const proposedZero = Math.floor(clock.now() / batchDuration) * batchDuration;
    const coordinator = await joinGroup({
      servers: this.options.servers,
      group: this.options.name,
      ...(this.options.memberId === undefined ? {} : { memberId: this.options.memberId }),
      leaseMs: this.options.leaseMs,
      proposed: { partitions, zeroTime: proposedZero, batchDuration, fingerprint: graph.fingerprint(), hash: "dstream-hashKey-v1", jobId: newGroupJobId(this.options.name) },
    });
    this.coordinator = coordinator;
    this.zeroTime = coordinator.meta.zeroTime;
    graph.start(this.zeroTime);
    this.checkStartedGraph();
    this.log = partitionLog(this.client, { group: this.options.name, partitions });
    this.exchange = shuffleExchange(this.client, { group: this.options.name, partitions });
    await this.log.ensure();
    await this.exchange.ensure();
    coordinator.onChange(() => {
      // A partition gained while a batch waits on a shuffle may be the one it waits for.
      if (this.inflight !== undefined && this.owned().some((p) => !this.held.has(p))) this.inflight.abort(new Rebalanced("rebalanced"));
      this.wake();
    });
  }

  /** Runs batches until stopped; a failure that retrying does not cure stops the context. */
  run(): void {
    this.loop = this.runLoop().catch((err: unknown) => {
      if (!this.stopped) this.deps.onError(err);
    });
  }

  /** Stops after the batch in flight (abandoned when `graceful` is false), then leaves the group. */
  async stop(graceful = false): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!graceful) this.inflight?.abort(new Rebalanced("stopping"));
    this.wake();
    await this.loop;
    await this.coordinator?.leave().catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.release();
  }

  // ------------------------------------------------------------------------------- the loop

  private async runLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let time: Time | undefined;
      try {
        await this.sync();
        time = this.nextTime();
        if (time === undefined) {
          await this.sleep(undefined);
          continue;
        }
        if (this.ssc.clock.now() < time) {
          await this.sleep(time);
          continue;
        }
        await this.runBatch(time);
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof Fenced) {
          // Another member wrote the partition since this one read it. If the lease is still this
          // member's, the partition is read again (with what the other wrote) at the next sync;
          // if not, the coordinator reports it lost. Nothing of this member's view is kept.
          this.drop(err.partition);
          continue;
        }
        // The batch's partitions go back to their last commit (state may hold part of the batch).
        for (const p of this.active) this.drop(p);
        this.active = [];
        if (err instanceof Rebalanced || (err as { name?: string })?.name === "AbortError") continue;
        if (!retryable(err) || ++failures > MAX_RETRIES) throw err;
        console.warn(`dstream group ${this.options.name} member ${this.memberId}: batch ${time ?? "?"} failed, retrying (${failures} of ${MAX_RETRIES}): ${(err as Error)?.message ?? String(err)}`);
        await this.sleep(undefined, Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** The earliest batch time a held partition needs next; undefined when none is held. */
  private nextTime(): Time | undefined {
    let next: Time | undefined;
    for (const h of this.held.values()) {
      const t = h.committed + this.ssc.batchDuration;
      if (next === undefined || t < next) next = t;
    }
    return next;
  }

  /** Waits until the clock reaches `time` (undefined: no time), `ms` pass, or something changes. */
  private sleep(time: Time | undefined, ms?: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined;
      let wall: NodeJS.Timeout | undefined;
      const done = (): void => {
        timer?.cancel();
        if (wall !== undefined) clearTimeout(wall);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      if (time !== undefined) timer = this.ssc.clock.schedule(time, BATCH_TIMER_PRIORITY, done);
      if (ms !== undefined) wall = setTimeout(done, ms);
    });
  }

  private wake(): void {
    this.wakeUp?.();
  }

  // ------------------------------------------------------------------------------- ownership

  /** Makes the held partitions those whose lease this member holds: reads the gained, drops the lost. */
  private async sync(): Promise<void> {
    const target = new Set(this.owned());
    let changed = false;
    for (const p of [...this.held.keys()]) {
      if (!target.has(p)) {
        this.drop(p);
        changed = true;
      }
    }
    for (const p of [...target].sort((a, b) => a - b)) {
      if (this.held.has(p)) continue;
      await this.open(p);
      changed = true;
    }
    // Cached batches (windows) were computed without the gained partitions' records.
    if (changed) {
      this.ssc.graph.forgetGenerated();
      this.lastActive = "";
    }
  }

  /** Reads partition p back from its log: state, last commit, pending plan, input positions. */
  private async open(p: number): Promise<void> {
    const history = await this.log.open(p);
    const snapshot = history.snapshot;
    let committed = snapshot?.time ?? this.zeroTime;
    let pending: PlanEntry | undefined;
    let sinceSnapshot = 0;
    const positions: Record<number, number> = { ...((snapshot?.states[POSITIONS] as Record<number, number> | undefined) ?? {}) };
    const deltas = new Map<string, unknown[]>();
    for (const entry of history.entries) {
      if (entry.kind === "plan") {
        pending = entry;
        for (const [id, range] of Object.entries((entry.plan as GroupPlan).inputs)) positions[Number(id)] = range.to;
      } else {
        committed = entry.time;
        if (pending !== undefined && pending.time <= entry.time) pending = undefined;
        sinceSnapshot++;
        for (const [id, delta] of Object.entries(entry.deltas)) {
          let list = deltas.get(id);
          if (list === undefined) deltas.set(id, (list = []));
          list.push(delta);
        }
      }
    }
    const fresh = snapshot === undefined && !history.entries.some((e) => e.kind === "commit");
    for (const op of this.operators) op.restorePartition(p, snapshot?.states[op.operatorId], deltas.get(op.operatorId) ?? [], fresh);
    this.held.set(p, { committed, pending, positions, sinceSnapshot, partSeqs: new Map() });
  }

  /** Forgets partition p: its state, its shuffled records, its log fence. */
  private drop(p: number): void {
    if (!this.held.delete(p)) return;
    for (const op of this.operators) op.dropPartition(p);
    for (const x of this.exchanges) x.dropPartition(p);
    this.log.close(p);
    for (const input of this.inputs) void input.releasePartition(p);
  }

  // ------------------------------------------------------------------------------- one batch

  private async runBatch(time: Time): Promise<void> {
    const { graph, listenerBus: listeners, clock, batchDuration } = this.ssc;
    const active = [...this.held.entries()].filter(([, h]) => h.committed + batchDuration === time).map(([p]) => p);
    active.sort((a, b) => a - b);
    const controller = new AbortController();
    // Every shuffle part collected in the batch listens to this one signal.
    setMaxListeners(0, controller.signal);
    this.inflight = controller;
    try {
      // 1. Plans, durable before anything runs. Ranges are read one partition after the other
      // (see JetStreamInputDStream.plan); the appends, one per partition, go out together.
      const plans = new Map<number, GroupPlan>();
      const fresh: { p: number; h: Held; entry: PlanEntry }[] = [];
      for (const p of active) {
        const h = this.held.get(p) as Held;
        if (h.pending !== undefined && h.pending.time === time) {
          plans.set(p, h.pending.plan as GroupPlan);
          continue;
        }
        const plan: GroupPlan = { inputs: {} };
        for (const input of this.inputs) plan.inputs[input.streamId] = await input.planGroupPartition(time, p, h.positions[input.streamId], active.length);
        fresh.push({ p, h, entry: { kind: "plan", time, plan } });
        plans.set(p, plan);
      }
      const appended = await Promise.allSettled(
        fresh.map(async ({ p, h, entry }) => {
          await this.append(p, entry);
          h.pending = entry;
          for (const [id, range] of Object.entries((entry.plan as GroupPlan).inputs)) h.positions[Number(id)] = range.to;
        }),
      );
      const planFailed = appended.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (planFailed !== undefined) throw planFailed.reason;
      const batchPlan: BatchPlan = { inputs: {} };
      for (const input of this.inputs) batchPlan.inputs[input.streamId] = input.groupPlan(active.map((p) => (plans.get(p) as GroupPlan).inputs[input.streamId] as PartitionRange));

      // 2. Shuffles, then the output operations. Batches cached under another set of partitions
      // (a window's earlier batches) are computed again with this batch's.
      if (active.join() !== this.lastActive) this.ssc.graph.forgetGenerated();
      this.lastActive = active.join();
      this.active = active;
      const submissionTime = Math.min(time, clock.now());
      const done = await executeBatch({ graph, listeners, clock }, time, batchPlan, submissionTime, () => this.exchangeAll(time, active, controller.signal));

      // 3. Each partition's commit: partitions are independent, so their appends go out together.
      const commits = active.map(async (p) => {
        const h = this.held.get(p);
        if (h === undefined) return;
        if (!this.owned().includes(p)) {
          // Released meanwhile (a member joined): the new holder runs this batch from the plan.
          this.drop(p);
          return;
        }
        const deltas: Record<string, unknown> = {};
        for (const op of this.operators) {
          const delta = op.takePartitionDelta(p);
          if (delta !== undefined) deltas[op.operatorId] = delta;
        }
        try {
          await this.append(p, { kind: "commit", time, deltas, member: this.memberId });
        } catch (err) {
          if (!(err instanceof Fenced)) throw err;
          // Another member wrote p since: this batch's work on p is void (its state is read again).
          this.drop(p);
          return;
        }
        h.committed = time;
        h.pending = undefined;
        if (++h.sinceSnapshot >= this.options.snapshotInterval) await this.snapshot(p, h, time);
      });
      // Every append settles before a failure is reported: none is left running into the next attempt.
      const failed = (await Promise.allSettled(commits)).find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      this.active = [];
      for (const input of this.inputs) await input.batchCommitted(time);
      reportBatchCompleted(listeners, clock, done.info);
      graph.clearMetadata(time);
    } finally {
      if (this.inflight === controller) this.inflight = undefined;
    }
  }

  /** Every exchange of the graph, in dependency order: publish this member's partitions, collect its own. */
  private async exchangeAll(time: Time, active: readonly number[], signal: AbortSignal): Promise<void> {
    const partitions = this.partitions;
    for (const x of this.exchanges) {
      if (!x.isTimeValid(time)) continue;
      const rdd = x.parent.getOrCompute(time);
      await Promise.all(active.map((p) => this.exchange.publish(x.exchangeId, p, time, x.split(rdd, p, partitions))));
      await Promise.all(active.map(async (q) => x.accept(time, q, await this.collect(x, q, time, signal), partitions)));
      // A window over the exchange reads earlier batches too: those of partitions this member
      // did not hold then are read back from the shuffle stream.
      const slide = x.slideDuration;
      const span = x.rememberDuration ?? slide;
      for (let t = time - span + slide; t < time; t += slide) {
        if (!x.isTimeValid(t)) continue;
        for (const q of active) if (!x.has(t, q)) x.accept(t, q, await this.collect(x, q, t, signal), partitions);
      }
      if (signal.aborted) throw signal.reason;
    }
  }

  /**
   * Target q's records of exchange `x` at `time`. A source part that does not come may still be
   * on its way (its partition's member is slow, or dead and not yet replaced); but when the source
   * partition has committed the batch already, its part was published and is gone (the shuffle
   * stream's max age): waiting would hang forever, so the batch fails with a clear error.
   */
  private async collect(x: ExchangeDStream<unknown>, q: number, time: Time, signal: AbortSignal): Promise<unknown[]> {
    const { records, fromSeq } = await this.exchange.collect(x.exchangeId, q, time, signal, async (missing) => {
      for (const p of missing) {
        const last = await this.log.lastEntry(p);
        if (last !== undefined && (last.time > time || (last.time === time && last.kind === "commit"))) {
          throw new StreamingError(
            ErrorCodes.SOURCE_OFFSET_LOST,
            `group "${this.options.name}": partition ${p} committed batch ${time} (its log is at ${last.kind} ${last.time}), but its shuffle output for partition ${q} (exchange ${x.exchangeId}) is no longer in stream DSTREAM_GROUP_${this.options.name}_SHUF: the stream's max age removed it before partition ${q} ran the batch. Partition ${q} cannot be brought up to date; start a new group (or raise the shuffle stream's max age before such downtime)`,
          );
        }
      }
    });
    const h = this.held.get(q);
    if (h !== undefined) {
      let seqs = h.partSeqs.get(x.exchangeId);
      if (seqs === undefined) h.partSeqs.set(x.exchangeId, (seqs = new Map()));
      seqs.set(time, fromSeq);
    }
    return records;
  }

  /** Appends to p's log; a stale view of p becomes Fenced. */
  private async append(p: number, entry: Parameters<PartitionLog["append"]>[1]): Promise<void> {
    try {
      await this.log.append(p, entry);
    } catch (err) {
      if (StreamingError.is(err, ErrorCodes.GROUP_FENCED)) throw new Fenced(p, err);
      throw err;
    }
  }

  /** Snapshots partition p (its state as of `time`, and its input positions). A failure waits for the next commit. */
  private async snapshot(p: number, h: Held, time: Time): Promise<void> {
    const states: Record<string, unknown> = { [POSITIONS]: { ...h.positions } };
    for (const op of this.operators) states[op.operatorId] = op.partitionSnapshot(p);
    try {
      await this.log.snapshot(p, time, states);
      h.sinceSnapshot = 0;
      await this.purgeShuffles(p, h, time);
      await this.purgeReceived(p, h);
    } catch (err) {
      if (StreamingError.is(err, ErrorCodes.GROUP_FENCED)) {
        this.drop(p);
        return;
      }
      console.warn(`dstream group ${this.options.name}: snapshot of partition ${p} at ${time} failed (retried after the next commit): ${(err as Error)?.message ?? String(err)}`);
    }
  }

  /**
   * After p committed `time`: removes p's shuffle parts of the batches no later batch of p reads
   * (the next batch reads back its exchanges' remember span, for windows; one more batch is kept).
   * Every source publishes its parts in batch order (a source runs batch t + 1 only after it
   * committed t), so the parts of the oldest batch kept and of every later one lie at or above the
   * lowest sequence collected for the batches kept; p's holder is the only reader of p's parts, and
   * a holder taking p over later starts after this commit. Skipped for an exchange while a batch
   * kept was not collected by this member (it took p over recently); a failure is only reported:
   * the stream's max age is the backstop.
   */
  private async purgeShuffles(p: number, h: Held, time: Time): Promise<void> {
    for (const x of this.exchanges) {
      const seqs = h.partSeqs.get(x.exchangeId);
      if (seqs === undefined) continue;
      const slide = x.slideDuration;
      const keepFrom = time - (x.rememberDuration ?? slide) + slide;
      for (const t of [...seqs.keys()]) if (t < keepFrom) seqs.delete(t);
      let below = Infinity;
      let known = true;
      for (let t = keepFrom; t <= time; t += slide) {
        if (!x.isTimeValid(t)) continue;
        const seq = seqs.get(t);
        if (seq === undefined) known = false;
        else below = Math.min(below, seq);
      }
      if (!known || below === Infinity) continue;
      try {
        await this.exchange.purgeBelow(x.exchangeId, p, below);
      } catch (err) {
        console.warn(`dstream group ${this.options.name}: removing partition ${p}'s shuffle parts before batch ${keepFrom} (exchange ${x.exchangeId}) failed; the stream's max age removes them later: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }

  /**
   * After p's snapshot: records p's input positions, then, when the job has receivers, removes
   * from the group's receiver stream every message at or below the lowest position any partition
   * of any receiver input recorded. Each position is the last stream sequence a committed batch of
   * its partition took (a partition's plan moves its position to the stream's last sequence when
   * it is caught up), so no partition reads those messages again, and the stream's first sequence
   * stays at or below every partition's position + 1: a plan still tells messages removed by age
   * from these. Skipped until every partition recorded positions; a failure is only reported (the
   * stream's max age is the backstop).
   */
  private async purgeReceived(p: number, h: Held): Promise<void> {
    const receivers = this.inputs.filter((input) => input instanceof GroupReceiverInputDStream);
    try {
      await this.log.recordPositions(p, h.positions);
      if (receivers.length === 0) return;
      let below = Infinity;
      for (let q = 0; q < this.partitions; q++) {
        const positions = q === p ? h.positions : await this.log.positions(q);
        for (const input of receivers) below = Math.min(below, positions?.[input.streamId] ?? -Infinity);
      }
      if (below === -Infinity || below === Infinity) return;
      await this.client!.purgeSubjectBelow(receiverStreamName(this.options.name), `dstream.group.${this.options.name}.recv.>`, below + 1);
    } catch (err) {
      console.warn(`dstream group ${this.options.name}: recording partition ${p}'s input positions or removing the receiver stream's messages every partition has read failed; the stream's max age removes them later: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  // ------------------------------------------------------------------------------- what a group runs

  /** Refuses, before joining, a job a group cannot run across processes. */
  private checkGraph(): void {
    const { graph } = this.ssc;
    const where = `group "${this.options.name}"`;
    if (graph.inputStreams.length === 0) throw unsupported(`${where}: the job has no input; a group divides the partitions of its jetStream inputs`);
    for (const input of graph.inputStreams) {
      if (!(input instanceof JetStreamInputDStream)) {
        throw unsupported(`${where}: input ${input.kind} #${input.streamId} cannot be divided among members; in a group every input is a ssc.jetStream (partitioned, replayable) stream or a receiver's (receiverStream, socketTextStream, rabbitMqStream, zeroMqStream: their blocks go to the group's JetStream stream)`);
      }
    }
    this.inputs = graph.inputStreams as JetStreamInputDStream<unknown>[];
    const partitions = (this.inputs[0] as JetStreamInputDStream<unknown>).options.partitions;
    const other = this.inputs.find((i) => i.options.partitions !== partitions);
    if (other !== undefined) throw unsupported(`${where}: jetStream inputs have ${partitions} and ${other.options.partitions} partitions; in a group every input has the same number of partitions (partition p of each goes to the same member)`);
    for (const op of graph.stateOperators) {
      if (!isPartitionedStateOperator(op)) {
        throw unsupported(
          `${where}: ${op.kind} ${op.operatorId} keeps one state for the whole stream, which cannot be divided by key among members; a group runs updateStateByKey, mapWithState, reduceByKey/groupByKey/joins and windows of keyed streams (reduceByKeyAndWindow without an inverse function)`,
        );
      }
    }
    this.operators = graph.stateOperators as unknown as (PartitionedStateOperator & { operatorId: string })[];
    // Partition j of every RDD is group partition j mod P: a repartition moves records into
    // partitions this member may not run, where no sink writes them and no shuffle sends them.
    const repartitioned = graph.streamsInOrder.find((s) => s instanceof RepartitionedDStream);
    if (repartitioned !== undefined) {
      throw unsupported(
        `${where}: repartition (${repartitioned.operatorId}) moves records between partitions, and in a group partition p of every batch is group partition p (the member holding p runs, writes and shuffles only its partitions): records moved to another partition would be lost. Remove the repartition; keyed operators already spread keys over the group's partitions`,
      );
    }
    this.exchanges = graph.streamsInOrder.filter((s): s is ExchangeDStream<unknown> => s instanceof ExchangeDStream);
  }

  /** Refuses what shows once the graph has started: windows over what a member cannot read back. */
  private checkStartedGraph(): void {
    const { graph, batchDuration } = this.ssc;
    const where = `group "${this.options.name}"`;
    const history = graph.historyOperators()[0];
    if (history !== undefined) throw unsupported(`${where}: a window reads back the output of ${history.kind} ${history.operatorId}, which a member taking over its partitions cannot recompute; window the stream before the stateful operator`);
    for (const input of this.inputs) {
      if ((input.rememberDuration ?? batchDuration) > batchDuration) {
        throw unsupported(`${where}: a window (or remember) reaches back over input ${input.operatorId} before any shuffle; in a group, window a keyed stream (e.g. reduceByKey(...) then window, or reduceByKeyAndWindow), whose history members read back from JetStream`);
      }
    }
  }

  // ------------------------------------------------------------------------------- observing the group

  /** Where the whole group stands (GroupHandle.status), read through this member's connection, writing nothing. */
  async status(): Promise<GroupStatus> {
    if (this.client === undefined) throw new StreamingError(ErrorCodes.CONTEXT_STATE, `group "${this.options.name}": status() needs a running member; start the context first (a stopped member has left the group)`);
    return readGroupStatus(this.client, this.options.name, { leaseMs: this.options.leaseMs });
  }
}

function unsupported(message: string): StreamingError {
  return new StreamingError(ErrorCodes.GROUP_UNSUPPORTED, message);
}

/**
 * Failures a member rides out by retrying the batch: JetStream or a sink's service away for a
 * while. Not a sink conflict (another job wrote the batch): a retry finds the same.
 */
function retryable(err: unknown): boolean {
  const chain: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  if (chain.some((e) => StreamingError.is(e, ErrorCodes.SINK_CONFLICT))) return false;
  return chain.some((e) => {
    if (StreamingError.is(e, ErrorCodes.SOURCE_UNAVAILABLE) || StreamingError.is(e, ErrorCodes.SINK_FAILED)) return true;
    const code = (e as { code?: unknown }).code;
    // nats.js errors: timeouts, connection closed or reconnecting, no responders while the server restarts.
    return typeof code === "string" && /^(TIMEOUT|CONNECTION_|DISCONNECT|503|REQUEST_ERROR|PROTOCOL_ERR|NO_RESPONDERS)/.test(code);
  });
}
