import { describe, expect, it } from "vitest";
import type { BatchInfo, EventTimeInfo } from "../listener.js";
import { formatStatus, statusFields } from "./status-format.js";

const op = (watermark: number | undefined, numLateRecords: number): EventTimeInfo => ({ operatorId: "w", watermark, numLateRecords, numRowsDroppedByWatermark: numLateRecords, numRowsTotal: 4, numOutputRows: 0 });
const info = (eventTime?: EventTimeInfo[]): BatchInfo => ({
  batchTime: Date.UTC(2024, 0, 1, 12, 0, 1),
  numRecords: 10,
  submissionTime: 0,
  processingDelay: 5,
  schedulingDelay: 0,
  outputOperationInfos: [],
  ...(eventTime === undefined ? {} : { eventTime }),
});

describe("status line with event-time windows", () => {
  it("shows the lowest watermark of the batch and its late records", () => {
    const line = formatStatus(statusFields(info([op(Date.UTC(2024, 0, 1, 11, 59, 50), 2), op(Date.UTC(2024, 0, 1, 11, 59, 55), 1)]), 1000, 8, 3));
    expect(line).toBe("batch 12:00:01Z #3 | 10 rec/s | processing 5 ms | scheduling 0 ms | state 8 keys | watermark 11:59:50Z | late 3");
  });

  it("shows - before any record, and nothing for a job without event time", () => {
    expect(formatStatus(statusFields(info([op(undefined, 0)]), 1000, 0, 1))).toMatch(/\| watermark - \| late 0$/);
    expect(formatStatus(statusFields(info(), 1000, undefined, 1))).not.toMatch(/watermark/);
  });
});
