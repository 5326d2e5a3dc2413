import type { ServerResponse } from "node:http";

/** Every this many ms an idle stream gets a comment line, so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000;

/**
 * The open server-sent-event streams of `/events`: each event goes to every client as
 * `event: <name>` / `data: <json>`. Clients reconnect by themselves (`retry`).
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  get size(): number {
    return this.clients.size;
  }

  /** Takes over `res` as an event stream until the client goes away. */
  open(res: ServerResponse): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Content-Type-Options": "nosniff",
    });
    res.write("retry: 1000\n\n");
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
    if (this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => {
        for (const c of this.clients) c.write(": ping\n\n");
      }, HEARTBEAT_MS);
      // The heartbeat alone must never keep the process alive.
      this.heartbeat.unref();
    }
  }

  send(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
