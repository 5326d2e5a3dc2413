import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Screen } from "../test-support/screen.js";
import type { BatchInfo } from "../listener.js";
import { fitToWidth, formatDelay, formatStatus, statusFields } from "./status-format.js";
import { StatusLine } from "./status-line.js";

const info = (over: Partial<BatchInfo> = {}): BatchInfo => ({
  batchTime: Date.UTC(2024, 0, 1, 12, 0, 1),
  numRecords: 20_000,
  submissionTime: 0,
  processingDelay: 35,
  schedulingDelay: 0,
  outputOperationInfos: [],
  ...over,
});

class Sink {
  text = "";
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe("status formatting", () => {
  it("shows batch time, records/s, both delays and state keys", () => {
    expect(formatStatus(statusFields(info(), 1000, 16, 12))).toBe("batch 12:00:01Z #12 | 20,000 rec/s | processing 35 ms | scheduling 0 ms | state 16 keys");
  });

  it("scales records to per second, drops state when the job has none, and shows unknown delays as -", () => {
    const line = formatStatus(statusFields(info({ numRecords: 500, processingDelay: undefined, schedulingDelay: 1500 }), 500, undefined, 1));
    expect(line).toBe("batch 12:00:01Z #1 | 1,000 rec/s | processing - | scheduling 1.50 s");
  });

  it("formats delays and cuts lines to the terminal width", () => {
    expect(formatDelay(999.6)).toBe("1000 ms");
    expect(formatDelay(12_345)).toBe("12.35 s");
    expect(fitToWidth("abcdefghij", 6)).toBe("abcd…");
    expect(fitToWidth("abc", 6)).toBe("abc");
    expect(fitToWidth("abc", undefined)).toBe("abc");
  });
});

describe("StatusLine", () => {
  it("redraws one line in place on a terminal, and keeps it below logged output", () => {
    const out = new Sink(true, 200);
    const status = new StatusLine(1000, () => 3, { out });
    status.onBatchCompleted({ batchInfo: info() });
    status.onBatchCompleted({ batchInfo: info({ numRecords: 10 }) });
    expect(out.text).toBe(
      "\r\x1b[2Kbatch 12:00:01Z #1 | 20,000 rec/s | processing 35 ms | scheduling 0 ms | state 3 keys" +
        "\r\x1b[2Kbatch 12:00:01Z #2 | 10 rec/s | processing 35 ms | scheduling 0 ms | state 3 keys",
    );
    out.text = "";
    status.log("# events = 10");
    expect(out.text).toBe("\r\x1b[2K# events = 10\nbatch 12:00:01Z #2 | 10 rec/s | processing 35 ms | scheduling 0 ms | state 3 keys");
    out.text = "";
    status.clear();
    expect(out.text).toBe("\r\x1b[2K");
  });

  it("writes plain log lines when the output is not a terminal", () => {
    const out = new Sink(false);
    const status = new StatusLine(1000, undefined, { out });
    status.log("hello");
    status.onBatchCompleted({ batchInfo: info() });
    status.clear();
    expect(out.text).toBe("hello\n[status] batch 12:00:01Z #1 | 20,000 rec/s | processing 35 ms | scheduling 0 ms\n");
  });

  it("cuts the redrawn line to the terminal width so it never wraps", () => {
    const out = new Sink(true, 20);
    new StatusLine(1000, undefined, { out }).onBatchCompleted({ batchInfo: info() });
    expect(out.text).toBe("\r\x1b[2Kbatch 12:00:01Z #1…");
  });
});

describe("StatusLine with a readline prompt", () => {
  it("keeps the prompt and the text being typed intact below the status line while output prints", async () => {
    const screen = new Screen(100);
    const input = new PassThrough();
    const rl = createInterface({ input, output: screen, terminal: true, prompt: "sql> " });
    try {
      const status = new StatusLine(1000, () => 3, { out: screen, prompt: rl });
      rl.on("line", (query) => status.log(`answer to ${query}`));
      rl.prompt();
      input.write("select * fr");
      input.write("\x1b[D\x1b[D"); // the cursor two characters back, inside the typed text
      await settle();
      const typed = { row: screen.row, col: screen.col };
      expect(screen.text()).toEqual(["sql> select * fr"]);

      status.onBatchCompleted({ batchInfo: info() });
      status.log("# events = 20000");
      status.onBatchCompleted({ batchInfo: info({ numRecords: 10 }) });
      expect(screen.text()).toEqual(["# events = 20000", "batch 12:00:01Z #2 | 10 rec/s | processing 35 ms | scheduling 0 ms | state 3 keys", "sql> select * fr"]);
      // The cursor is still between "f" and "r"... two rows lower, and readline still holds the text.
      expect({ row: screen.row, col: screen.col }).toEqual({ row: typed.row + 2, col: typed.col });
      expect(rl.line).toBe("select * fr");

      input.write("\x1b[C\x1b[Com t\r"); // end of line, finish the query, Enter
      await settle();
      expect(screen.text()).toEqual([
        "# events = 20000",
        "sql> select * from t",
        "answer to select * from t",
        "batch 12:00:01Z #2 | 10 rec/s | processing 35 ms | scheduling 0 ms | state 3 keys",
        "sql>",
      ]);
      expect(screen.col).toBe(5);

      status.clear();
      expect(screen.text()).toEqual(["# events = 20000", "sql> select * from t", "answer to select * from t", ""]);
    } finally {
      rl.close();
    }
  });
});

/** Lets readline handle what was written to its input. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
