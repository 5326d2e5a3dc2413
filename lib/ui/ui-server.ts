import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus.js";
import { apiReply } from "./routes.js";
import { SseHub } from "./sse-hub.js";
import { loadAssets, type Asset } from "./static-assets.js";
import type { UiSource } from "./ui-source.js";

/** Spark's spark.port.maxRetries: a taken port is retried this many times, one up each time. */
export const PORT_RETRIES = 16;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

// The page loads only its own files; uPlot sets styles from script, hence 'unsafe-inline' for styles.
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/**
 * The read-only HTTP server of the live UI (node:http, no framework): the page, its scripts,
 * the REST API, `/events` (server-sent events) and `/metrics`. Anything but GET/HEAD is 405.
 */
export class UiServer {
  readonly events = new SseHub();
  private readonly assets: Map<string, Asset>;
  private server: Server | undefined;
  private address: AddressInfo | undefined;

  constructor(
    private readonly src: UiSource,
    private readonly version: string,
  ) {
    this.assets = loadAssets();
  }

  /** `http://host:port/` once listening. */
  get url(): string | undefined {
    if (this.address === undefined) return undefined;
    const host = this.address.family === "IPv6" ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}/`;
  }

  /** Listens on `host:port`, or the next free port up to {@link PORT_RETRIES} above it (port 0: any). */
  async listen(host: string, port: number): Promise<void> {
    let lastError: unknown;
    for (let i = 0; i <= (port === 0 ? 0 : PORT_RETRIES); i++) {
      const server = createServer((req, res) => this.handle(req, res));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port === 0 ? 0 : port + i, host, () => {
            server.off("error", reject);
            resolve();
          });
        });
        this.server = server;
        this.address = server.address() as AddressInfo;
        return;
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") break;
      }
    }
    const tried = port === 0 ? `${host}:0` : `${host}:${port}..${port + PORT_RETRIES}`;
    throw new StreamingError(ErrorCodes.UI_UNAVAILABLE, `The live UI could not listen on ${tried}: ${(lastError as Error)?.message}; pass another ui.port, or ui: false`, { cause: lastError });
  }

  /** Lets the process exit while the server is still up (after the context failed). */
  unref(): void {
    this.server?.unref();
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.events.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: `the dstream UI is read-only: ${req.method} is not allowed` }));
      return;
    }
    // Bound to loopback, answer only loopback names: a page elsewhere can't read us through DNS rebinding.
    const hostName = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (this.address !== undefined && LOOPBACK.has(this.address.address) && !LOOPBACK.has(hostName)) {
      res.writeHead(421, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: `this UI answers only on loopback host names; got Host: ${hostName}` }));
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (url.pathname === "/events") {
        if (req.method === "GET") return this.events.open(res);
        res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store" });
        res.end();
        return;
      }
      if (url.pathname === "/metrics") return send(res, req, 200, PROMETHEUS_CONTENT_TYPE, prometheusText(this.src));
      const asset = this.assets.get(url.pathname);
      if (asset !== undefined) {
        const headers: Record<string, string> = { "Content-Type": asset.contentType, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache" };
        if (url.pathname === "/") headers["Content-Security-Policy"] = PAGE_CSP;
        res.writeHead(200, headers);
        res.end(req.method === "HEAD" ? undefined : asset.body);
        return;
      }
      const reply = apiReply(this.src, url, this.version) ?? { status: 404, body: { message: `no such path: ${url.pathname}` } };
      send(res, req, reply.status, "application/json", JSON.stringify(reply.body));
    } catch (err) {
      send(res, req, 500, "application/json", JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
    }
  }
}

function send(res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.end(req.method === "HEAD" ? undefined : body);
}
