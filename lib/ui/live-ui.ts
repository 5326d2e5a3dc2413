import { ReceiverInputDStream } from "../receiver/receiver-input-dstream.js";
import type { StreamingContext } from "../streaming-context.js";
import { GroupStatusCache } from "./group-panel.js";
import { batch } from "./spark-api.js";
import { summary } from "./routes.js";
import { packageVersion } from "./static-assets.js";
import { StreamingProgress, type ProgressChange } from "./streaming-progress.js";
import { UiServer } from "./ui-server.js";
import type { InputUiStatus, InputView, UiSource } from "./ui-source.js";

/** `ui` option of a StreamingContext. */
export interface UiOptions {
  /** Default 4040 (Spark's); a taken port is retried one up, 16 times. 0: any free port. */
  port?: number;
  /** Default 127.0.0.1: only this machine can reach it. */
  host?: string;
}

/** Checks the `ui` option; undefined when the UI is off. */
export function resolveUiOptions(option: false | UiOptions | undefined): Required<UiOptions> | undefined {
  if (option === undefined || option === false) return undefined;
  if (typeof option !== "object" || option === null) throw new TypeError(`ui expects false or { port?, host? }; got ${String(option)}`);
  const port = option.port ?? 4040;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`ui.port must be an integer port 0..65535 (0: any free port); got ${String(option.port)}`);
  const host = option.host ?? "127.0.0.1";
  if (typeof host !== "string" || host.length === 0) throw new TypeError(`ui.host must be a host name or address; got ${String(option.host)}`);
  return { port, host };
}

/** Summaries (O(retained batches) to build) go out at most this often, in wall-clock ms. */
const SUMMARY_EVERY_MS = 100;

/**
 * The live UI of one context: a progress listener registered at construction (so it sees every
 * event), and the HTTP server, which listens from `start()` until `stop()`. Each listener event is
 * pushed to open pages as the REST shape of what changed.
 */
export class LiveUi {
  readonly progress: StreamingProgress;
  private readonly server: UiServer;
  private readonly version = packageVersion();
  private readonly source: UiSource;
  private summaryTimer: NodeJS.Timeout | undefined;
  private readonly groupCache: GroupStatusCache;

  constructor(
    ssc: StreamingContext,
    private readonly options: Required<UiOptions>,
  ) {
    this.progress = new StreamingProgress(
      (change) => this.changed(change),
      (id) => this.rateLimitOf(id),
    );
    this.groupCache = new GroupStatusCache(
      () => ssc.group,
      (view) => this.server.events.send("group", view),
    );
    this.source = contextSource(ssc, this.progress, this.groupCache);
    this.server = new UiServer(this.source, this.version);
    ssc.addStreamingListener(this.progress);
  }

  get url(): string | undefined {
    return this.server.url;
  }

  listen(): Promise<void> {
    return this.server.listen(this.options.host, this.options.port);
  }

  /** The context failed: keep serving (the page shows the error) without holding the process. */
  keepForInspection(): void {
    this.sendSummary();
    this.server.unref();
  }

  close(): Promise<void> {
    clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
    return this.server.close();
  }

  private changed(change: ProgressChange): void {
    if (this.server.events.size === 0) return;
    if (change.kind === "batch") {
      const b = batch(this.source, change.batch.batchTime);
      if (b !== undefined) this.server.events.send("batch", b);
      if (!change.completed) return;
      // A group member: its group's status is read again in the background when old (sent as "group").
      this.groupCache.get();
    }
    // Fast batches (or a clock advanced in a loop) would rebuild it per batch: coalesce.
    this.summaryTimer ??= setTimeout(() => this.sendSummary(), SUMMARY_EVERY_MS).unref();
  }

  private sendSummary(): void {
    clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
    this.server.events.send("summary", summary(this.source, this.version));
  }

  private rateLimitOf(streamId: number): number | undefined {
    const input = this.source.inputs().find((i) => i.streamId === streamId);
    return input?.rateLimit !== undefined && Number.isFinite(input.rateLimit) ? input.rateLimit : undefined;
  }
}

/** The UiSource of a live context. */
function contextSource(ssc: StreamingContext, progress: StreamingProgress, groupCache: GroupStatusCache): UiSource {
  return {
    appName: ssc.appName,
    batchDuration: ssc.batchDuration,
    progress,
    now: () => ssc.clock.now(),
    contextState: () => ssc.getState(),
    inputs: () => ssc.graph.inputStreams.map((input) => inputView(ssc, input)),
    stateOperators: () => ssc.graph.stateOperators.map((op) => ({ operatorId: op.operatorId, kind: op.kind, keys: op.size })),
    numOutputOperations: () => ssc.graph.outputStreams.length,
    checkpointDir: () => ssc.checkpointDir,
    history: () => ssc.checkpointSession?.history,
    backpressure: () => ssc.backpressure !== undefined,
    group: () => groupCache.get(),
  };
}

function inputView(ssc: StreamingContext, input: StreamingContext["graph"]["inputStreams"][number]): InputView {
  const limit = ssc.backpressure?.limitOf(input.streamId);
  if (input instanceof ReceiverInputDStream) {
    const r = input.receiver;
    return {
      streamId: input.streamId,
      name: r.name,
      kind: "receiver",
      maxRate: r.maxRate,
      rateLimit: limit === undefined ? r.maxRate : limit.rate,
      lastStoredOffset: r.lastStoredOffset(),
      pendingRecords: input.pendingRecords,
    };
  }
  const status = (input as { uiStatus?: () => InputUiStatus }).uiStatus?.();
  const view: InputView = { streamId: input.streamId, name: `${input.constructor.name}-${input.streamId}`, kind: input.constructor.name, maxRate: limit?.maxRate, rateLimit: limit?.rate };
  if (status?.offsets !== undefined) view.lastStoredOffset = status.offsets;
  if (status?.pendingRecords !== undefined) view.pendingRecords = status.pendingRecords;
  if (status?.partitions !== undefined) view.partitions = status.partitions;
  return view;
}
