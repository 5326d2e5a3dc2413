import type { BatchInfo, StreamingListener } from "../listener.js";
import type { StreamingContext } from "../streaming-context.js";
import { fitToWidth, formatStatus, statusFields } from "./status-format.js";

/** Where the status goes: process.stdout, or anything with `write` (tests). */
export interface StatusOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link StatusLine}. */
export interface StatusLineOptions {
  /** Default: process.stdout. */
  out?: StatusOutput;
  /** Redraw one line in place; default: `out.isTTY`. Otherwise one plain log line per batch. */
  tty?: boolean;
}

// Carriage return, then erase the whole line (ANSI EL2).
const ERASE = "\r\x1b[2K";

/**
 * A StreamingListener that shows the job's progress: batch time, records per second, processing
 * and scheduling delay, and state keys. On a terminal it redraws one line in place; otherwise it
 * writes a plain log line per batch (so logs and pipes stay readable).
 * Print other output through {@link StatusLine.log} so it does not collide with the status line.
 */
export class StatusLine implements StreamingListener {
  private readonly out: StatusOutput;
  private readonly tty: boolean;
  private current: string | undefined;
  private batches = 0;

  /** Attaches a status line to `ssc` (state keys are read from its stateful operators). */
  static attach(ssc: StreamingContext, options: StatusLineOptions = {}): StatusLine {
    const line = new StatusLine(ssc.batchDuration, () => stateKeys(ssc), options);
    ssc.addStreamingListener(line);
    return line;
  }

  constructor(
    private readonly batchDuration: number,
    private readonly stateKeys: () => number | undefined = () => undefined,
    options: StatusLineOptions = {},
  ) {
    this.out = options.out ?? process.stdout;
    this.tty = options.tty ?? this.out.isTTY === true;
  }

  onBatchCompleted(e: { batchInfo: BatchInfo }): void {
    this.batches++;
    const line = formatStatus(statusFields(e.batchInfo, this.batchDuration, this.stateKeys(), this.batches));
    if (this.tty) {
      this.current = line;
      this.out.write(ERASE + fitToWidth(line, this.out.columns));
    } else {
      this.out.write(`[status] ${line}\n`);
    }
  }

  /** Writes `text` as its own line(s), keeping the status line below it on a terminal. */
  log(text: string): void {
    if (!this.tty || this.current === undefined) {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`${ERASE}${text}\n${fitToWidth(this.current, this.out.columns)}`);
  }

  /** Erases the status line (on a terminal), e.g. before the process exits. */
  clear(): void {
    if (this.tty && this.current !== undefined) this.out.write(ERASE);
    this.current = undefined;
  }
}

function stateKeys(ssc: StreamingContext): number | undefined {
  const ops = ssc.graph.stateOperators;
  if (ops.length === 0) return undefined;
  let n = 0;
  for (const op of ops) n += op.size;
  return n;
}
