/**
 * Socket stream: lines read from a TCP server with `socketTextStream` (reconnecting with backoff
 * if the server goes away). Run alone, it starts a small line server on 127.0.0.1 that sends a
 * few lines every 100 ms, then counts words per batch. Records stored with `store()`, as the
 * socket receiver does, are at-least-once across a crash (use a reliable receiver with offsets for
 * exactly-once; see custom-receiver.ts).
 *
 *   node --import tsx --conditions=dstream-source examples/socket-stream.ts [--seconds 6]
 */
import { createServer, type Server, type Socket } from "node:net";
import { Seconds, StreamingContext, type DStream } from "dstream";
import { numberArg, runFor } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** A line server on 127.0.0.1 (a free port): sends each client `next()`'s lines every `everyMs`. */
export async function startLineServer(next: () => string[], everyMs = 100): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined).on("close", () => sockets.delete(socket));
  });
  const timer = setInterval(() => {
    // Nobody connected yet: keep the lines (a test counts on receiving every one of them).
    if (sockets.size === 0) return;
    const text = next().map((l) => `${l}\n`).join("");
    for (const s of sockets) s.write(text);
  }, everyMs);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    close: async () => {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Word counts per batch of the lines from `host:port`. */
export function buildSocketWordCount(ssc: StreamingContext, host: string, port: number): DStream<[string, number]> {
  return ssc
    .socketTextStream(host, port)
    .flatMap((l) => l.split(" "))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
}

async function main(): Promise<void> {
  let i = 0;
  const server = await startLineServer(() => [`hello socket ${i++ % 3}`, "hello again"]);
  console.log(`line server on 127.0.0.1:${server.port}`);
  const ssc = new StreamingContext({ batchDuration: Seconds(1) });
  buildSocketWordCount(ssc, "127.0.0.1", server.port).print();
  try {
    await runFor(ssc, numberArg("seconds", 6));
  } finally {
    await server.close();
  }
}

if (isMain(import.meta.url)) runMain(main);
