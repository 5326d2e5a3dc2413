import type { Interface } from "node:readline";
import { performance } from "node:perf_hooks";
import type { GroupHandle } from "../group/contracts.js";
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
  /**
   * A terminal readline interface writing to the same terminal (e.g. a SQL prompt). Its prompt
   * and the text being typed stay on the row below the status line: every log line and status
   * redraw clears both rows, prints, and draws them again with the typed text and the cursor
   * where they were. Each line entered is echoed above, so the scrollback shows it before its
   * answer. Ignored when not on a terminal.
   */
  prompt?: Interface;
  /**
   * The group this job is a member of (`attach` passes `ssc.group`, known once started): the line
   * then shows the group, this member, its partitions and the member count.
   */
  group?: () => GroupHandle | undefined;
  /** The member count is a read of the group's KV bucket: done in the background at most this often (ms); default 5000. */
  groupRefreshMs?: number;
}

// Carriage return, then erase the whole line (ANSI EL2).
const ERASE = "\r\x1b[2K";
// Carriage return, then erase from the cursor to the end of the screen (ANSI ED0).
const ERASE_DOWN = "\r\x1b[0J";
const up = (rows: number): string => (rows > 0 ? `\x1b[${rows}A` : "");
const right = (cols: number): string => (cols > 0 ? `\x1b[${cols}C` : "");

/**
 * A StreamingListener that shows the job's progress: batch time, records per second, processing
 * and scheduling delay, state keys, and in a group the member's partitions and the member count. On a terminal it redraws one line in place; otherwise it
 * writes a plain log line per batch (so logs and pipes stay readable).
 * Print other output through {@link StatusLine.log} so it does not collide with the status line.
 */
export class StatusLine implements StreamingListener {
  private readonly out: StatusOutput;
  private readonly tty: boolean;
  private readonly prompt: Interface | undefined;
  private current: string | undefined;
  private batches = 0;
  private readonly group: (() => GroupHandle | undefined) | undefined;
  private readonly members: CachedMemberCount;

  /** Attaches a status line to `ssc` (state keys are read from its stateful operators). */
  static attach(ssc: StreamingContext, options: StatusLineOptions = {}): StatusLine {
    const line = new StatusLine(ssc.batchDuration, () => stateKeys(ssc), { group: () => ssc.group, ...options });
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
    this.prompt = this.tty ? options.prompt : undefined;
    this.group = options.group;
    this.members = new CachedMemberCount(options.groupRefreshMs ?? 5000);
    // Registered before the application's own "line" listener, so the entered line is echoed
    // above before its answer is printed.
    this.prompt?.on("line", (line: string) => this.echoEntered(line));
  }

  onBatchCompleted(e: { batchInfo: BatchInfo }): void {
    this.batches++;
    const fields = statusFields(e.batchInfo, this.batchDuration, this.stateKeys(), this.batches);
    const group = this.group?.();
    if (group !== undefined) fields.group = { name: group.name, memberId: group.memberId, partitions: group.owned(), members: this.members.get(group) };
    const line = formatStatus(fields);
    if (this.prompt !== undefined) {
      this.redrawWithPrompt(undefined, line);
    } else if (this.tty) {
      this.current = line;
      this.out.write(ERASE + fitToWidth(line, this.out.columns));
    } else {
      this.out.write(`[status] ${line}\n`);
    }
  }

  /** Writes `text` as its own line(s), keeping the status line below it on a terminal. */
  log(text: string): void {
    if (this.prompt !== undefined) {
      this.redrawWithPrompt(text, this.current);
      return;
    }
    if (!this.tty || this.current === undefined) {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`${ERASE}${text}\n${fitToWidth(this.current, this.out.columns)}`);
  }

  /** Erases the status line (on a terminal), e.g. before the process exits. */
  clear(): void {
    if (this.prompt !== undefined) this.out.write(this.toTopOfRows() + ERASE_DOWN);
    else if (this.tty && this.current !== undefined) this.out.write(ERASE);
    this.current = undefined;
  }

  /**
   * Clears the status row and the prompt rows, writes `above` (if any), the status line (if any)
   * and the prompt with the text typed so far, and puts the cursor back where it was in that text.
   * readline's own idea of the cursor row stays true, because the layout below the status line is
   * the same as before.
   */
  private redrawWithPrompt(above: string | undefined, status: string | undefined): void {
    const rl = this.prompt as Interface;
    const columns = this.columns();
    let s = this.toTopOfRows() + ERASE_DOWN;
    if (above !== undefined) s += `${above}\n`;
    if (status !== undefined) s += `${fitToWidth(status, columns)}\n`;
    this.current = status;
    const typed = rl.getPrompt() + rl.line;
    const cursor = rl.getCursorPos();
    const lastRow = Math.floor(typed.length / columns);
    // readline writes a space when the text ends exactly at the edge, so the terminal wraps.
    s += typed + (typed.length > 0 && typed.length % columns === 0 ? " " : "");
    s += `\r${up(lastRow - cursor.rows)}${right(cursor.cols)}`;
    this.out.write(s);
  }

  /** The terminal's width; unknown (0 on a terminal without a size) counts as endless, as readline does. */
  private columns(): number {
    const c = this.out.columns;
    return c !== undefined && c > 0 ? c : Infinity;
  }

  /** Cursor movement from the cursor (somewhere in the prompt's rows) to the start of the status row. */
  private toTopOfRows(): string {
    const rl = this.prompt;
    if (rl === undefined) return "\r";
    return `\r${up(rl.getCursorPos().rows + (this.current !== undefined ? 1 : 0))}`;
  }

  /** After Enter, readline has moved below the entered line and emptied it: echo it above instead. */
  private echoEntered(line: string): void {
    const rl = this.prompt as Interface;
    const rows = Math.floor((rl.getPrompt() + line).length / this.columns()) + 1;
    this.out.write(up(rows));
    this.redrawWithPrompt(rl.getPrompt() + line, this.current);
  }
}

/**
 * A group's live member count for the status line: `members()` reads the group's KV bucket, so it
 * runs in the background, at most every `everyMs`, and the line shows the last count read (a
 * batch never waits on it; a failed read keeps the last count and is retried after `everyMs`).
 */
class CachedMemberCount {
  private count: number | undefined;
  private readAt = -Infinity;
  private reading = false;

  constructor(private readonly everyMs: number) {}

  get(group: GroupHandle): number | undefined {
    const now = performance.now();
    if (!this.reading && now - this.readAt >= this.everyMs) {
      this.reading = true;
      this.readAt = now;
      group
        .members()
        .then((members) => void (this.count = members.length), () => undefined)
        .finally(() => (this.reading = false));
    }
    return this.count;
  }
}

function stateKeys(ssc: StreamingContext): number | undefined {
  const ops = ssc.graph.stateOperators;
  if (ops.length === 0) return undefined;
  let n = 0;
  for (const op of ops) n += op.size;
  return n;
}
