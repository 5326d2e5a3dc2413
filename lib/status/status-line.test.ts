import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Screen } from "../test-support/screen.js";
import type { GroupHandle } from "../group/contracts.js";
import type { BatchInfo } from "../listener.js";
import { fitToWidth, formatDelay, formatPartitions, formatStatus, shortMemberId, statusFields } from "./status-format.js";
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

describe("StatusLine of a group member", () => {
  /** A member's handle whose members() (a KV read in a real group) is counted and answered on demand. */
  function handle(owned: number[]) {
    const calls: ((n: number) => void)[] = [];
    const g: GroupHandle = {
      name: "wc",
      memberId: "vm-4899-daab8fce",
      owned: () => owned,
      members: () => new Promise((resolve) => calls.push((n) => resolve(Array.from({ length: n }, (_, i) => ({ id: `m${i}`, partitions: [] }))))),
      status: () => Promise.reject(new Error("the status line does not read the group's status")),
    };
    return { g, calls };
  }

  it("shows the group, the member (short id), its partitions and the member count, read in the background and cached", async () => {
    const { g, calls } = handle([0, 1, 2, 5]);
    const out = new Sink(false);
    const status = new StatusLine(1000, undefined, { out, group: () => g });
    status.onBatchCompleted({ batchInfo: info() });
    expect(out.text).toBe("[status] batch 12:00:01Z #1 | 20,000 rec/s | processing 35 ms | scheduling 0 ms | group wc member daab8fce | partitions 0-2,5 | ? members\n");
    expect(calls).toHaveLength(1);
    calls[0]!(2);
    await settle();
    // Many batches within the refresh interval: no further read, the cached count.
    out.text = "";
    for (let i = 0; i < 50; i++) status.onBatchCompleted({ batchInfo: info() });
    expect(calls).toHaveLength(1);
    expect(out.text.split("\n")[0]).toMatch(/\| group wc member daab8fce \| partitions 0-2,5 \| 2 members$/);
  });

  it("reads the count again once the refresh interval has passed, never two reads at once, keeping the last count on a failed read", async () => {
    const { g, calls } = handle([3]);
    let fail = false;
    const members = g.members;
    const flaky: GroupHandle = { ...g, members: () => (fail ? Promise.reject(new Error("NATS away")) : members()) };
    const out = new Sink(false);
    const status = new StatusLine(1000, undefined, { out, group: () => flaky, groupRefreshMs: 0 });
    status.onBatchCompleted({ batchInfo: info() });
    status.onBatchCompleted({ batchInfo: info() });
    expect(calls).toHaveLength(1); // the first read has not answered yet
    calls[0]!(1);
    await settle();
    fail = true;
    status.onBatchCompleted({ batchInfo: info() });
    await settle();
    out.text = "";
    fail = false;
    status.onBatchCompleted({ batchInfo: info() });
    expect(out.text).toMatch(/\| partitions 3 \| 1 member\n$/);
    expect(calls).toHaveLength(2);
  });

  it("formats partitions as ranges and shortens generated member ids", () => {
    expect(formatPartitions([])).toBe("none");
    expect(formatPartitions([7, 0, 1, 2, 4, 8, 9])).toBe("0-2,4,7-9");
    expect(shortMemberId("m1")).toBe("m1");
    expect(shortMemberId("myhost-1234-0a1b2c3d")).toBe("0a1b2c3d");
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
