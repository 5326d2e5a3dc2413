import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import { StreamingContext } from "../streaming-context.js";
import { LineSplitter } from "./line-splitter.js";
import { SocketReceiver } from "./socket-receiver.js";

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
    const warned: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((text: string) => void warned.push(text));
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = ssc.socketTextStream("127.0.0.1", first.port);
    const batches: string[][] = [];
    stream.foreachRDD((rdd) => void batches.push(rdd.collect()));
    const events: string[] = [];
    ssc.addStreamingListener({
      onReceiverStarted: () => void events.push("started"),
      onReceiverStopped: () => void events.push("stopped"),
      onReceiverError: (e) => void events.push(`error: ${e.receiverInfo.lastErrorMessage ?? ""} | ${e.receiverInfo.lastError?.split("\n")[0] ?? ""}`),
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
    expect(events.find((e) => e.startsWith("error"))).toMatch(/^error: Cannot connect to 127\.0\.0\.1:\d+: no server listens there \(start it, or check the host and port given to socketTextStream\) \| /);
    // Said on stderr too, for a job nobody listens to.
    expect(warned.at(-1)).toMatch(/^dstream: receiver SocketReceiver\(127\.0\.0\.1:\d+\) \(stream 0\): Cannot connect to .*: connect ECONNREFUSED .*; restarting in 4000 ms$/);
    warn.mockRestore();

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

  it("past its maxRate stops reading the socket, so TCP holds the sender back instead of the buffer growing", async () => {
    const { port, connections } = await listen();
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = ssc.receiverStream(new SocketReceiver("127.0.0.1", port, { maxRate: 1000 }));
    stream.foreachRDD(() => undefined);
    await ssc.start();
    await vi.waitFor(() => expect(connections).toHaveLength(1), WAIT);
    const conn = connections[0] as Socket;
    // 4,000,000 lines (48 MB): far more than the kernel's socket buffers hold.
    const line = "line-000000\n";
    const chunk = line.repeat(100_000);
    for (let i = 0; i < 40; i++) conn.write(chunk);
    // The receiver took its bound (1,000 records, one second at the rate) and stopped reading:
    // most of the data still waits in the sender's buffer.
    await vi.waitFor(() => expect(stream.pendingRecords).toBeGreaterThanOrEqual(1000), WAIT);
    await vi.waitFor(() => expect(conn.writableLength).toBeGreaterThan(30 * chunk.length), WAIT);
    // At most the bound plus the lines of one read (64 KiB: 5,462 lines of 12 bytes).
    expect(stream.pendingRecords).toBeLessThanOrEqual(1000 + Math.ceil(65_536 / line.length));
    // Cuts take 200 records each 200 ms: the receiver reads on, about as fast.
    await clock.advance(1000);
    await vi.waitFor(() => expect(stream.pendingRecords).toBeGreaterThanOrEqual(1000), WAIT);
    expect(stream.pendingRecords).toBeLessThanOrEqual(1000 + Math.ceil(65_536 / line.length));
    conn.destroy();
  });

  it("checks host and port", () => {
    const ctx = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ctx.socketTextStream("", 9999)).toThrow(TypeError);
    expect(() => ctx.socketTextStream("localhost", 70000)).toThrow(RangeError);
  });
});
