import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { LineSplitter } from "./line-splitter.js";

const WAIT = { timeout: 20_000, interval: 5 };

let ssc: StreamingContext | undefined;
let server: Server | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await closeServer();
});

/** A line server on 127.0.0.1; `connections` gets each client socket. */
async function listen(port = 0): Promise<{ port: number; connections: Socket[] }> {
  const connections: Socket[] = [];
  server = createServer((s) => void connections.push(s));
  await new Promise<void>((resolve, reject) => {
    server?.once("error", reject);
    server?.listen(port, "127.0.0.1", () => resolve());
  });
  return { port: (server.address() as { port: number }).port, connections };
}

async function closeServer(connections: Socket[] = []): Promise<void> {
  for (const c of connections) c.destroy();
  const s = server;
  server = undefined;
  if (s?.listening === true) await new Promise<void>((resolve) => s.close(() => resolve()));
}

describe("LineSplitter", () => {
  it("keeps a partial line and split UTF-8 characters until the rest arrives, and strips \\r", () => {
    const s = new LineSplitter();
    const euro = Buffer.from("€", "utf8");
    expect(s.push(Buffer.from("a\r\nb"))).toEqual(["a"]);
    expect(s.push(Buffer.concat([Buffer.from("c"), euro.subarray(0, 1)]))).toEqual([]);
    expect(s.push(Buffer.concat([euro.subarray(1), Buffer.from("\n\nlast")]))).toEqual(["bc€", ""]);
    expect(s.end()).toEqual(["last"]);
    expect(s.end()).toEqual([]);
  });
});

describe("socketTextStream", () => {
  it("receives lines, reconnects with backoff when the server goes away, and reports it to listeners", async () => {
    const first = await listen();
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = ssc.socketTextStream("127.0.0.1", first.port);
    const batches: string[][] = [];
    stream.foreachRDD((rdd) => void batches.push(rdd.collect()));
    const events: string[] = [];
    ssc.addStreamingListener({
      onReceiverStarted: () => void events.push("started"),
      onReceiverStopped: () => void events.push("stopped"),
      onReceiverError: (e) => void events.push(`error: ${e.receiverInfo.lastError?.split("\n")[0] ?? ""}`),
    });
    await ssc.start();
    await vi.waitFor(() => expect(first.connections).toHaveLength(1), WAIT);
    const conn = first.connections[0] as Socket;
    conn.write("hello\r\nwor");
    conn.write("ld\nkeep ");
    await vi.waitFor(() => expect(stream.pendingRecords).toBe(2), WAIT);
    await clock.advance(1000);
    expect(batches).toEqual([["hello", "world"]]);

    // The server goes away: its last line without a newline still counts.
    conn.end("partial");
    await closeServer(first.connections);
    await vi.waitFor(() => expect(events).toContain("stopped"), WAIT);
    await clock.advance(1000);
    expect(batches[1]).toEqual(["keep partial"]);

    // Reconnecting after 2 s finds nobody listening: an error, and the next try waits 4 s.
    await clock.advance(1000);
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith("error"))).toHaveLength(1), WAIT);
    expect(events.find((e) => e.startsWith("error"))).toMatch(/ECONNREFUSED/);

    const second = await listen(first.port);
    await clock.advance(3999);
    expect(second.connections).toHaveLength(0);
    await clock.advance(1);
    await vi.waitFor(() => expect(second.connections).toHaveLength(1), WAIT);
    (second.connections[0] as Socket).write("back\n");
    await vi.waitFor(() => expect(stream.pendingRecords).toBe(1), WAIT);
    await clock.advance(1000);
    expect(batches.flat()).toEqual(["hello", "world", "keep partial", "back"]);
    expect(events.filter((e) => e === "started").length).toBeGreaterThanOrEqual(3);
    await ssc.stop();
    expect(events.at(-1)).toBe("stopped");
    await closeServer(second.connections);
  });

  it("checks host and port", () => {
    const ctx = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ctx.socketTextStream("", 9999)).toThrow(TypeError);
    expect(() => ctx.socketTextStream("localhost", 70000)).toThrow(RangeError);
  });
});
