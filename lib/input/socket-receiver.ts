import { Socket } from "node:net";
import { describe } from "../rdd/validate.js";
import { Receiver } from "../receiver/receiver.js";
import { LineSplitter } from "./line-splitter.js";

/** Options of a {@link SocketReceiver}. */
export interface SocketReceiverOptions {
  /** Delay before reconnecting after the server goes away (doubled on repeated failures); default 2000 ms. */
  reconnectDelay?: number;
  maxRate?: number;
  name?: string;
}

/**
 * `ssc.socketTextStream(host, port)`: connects to a TCP server and stores each UTF-8 line it sends
 * (Spark's SocketReceiver). When the connection fails or the server closes it, the receiver
 * restarts through its supervisor, which reconnects with backoff and reports it to listeners.
 * Lines are stored with `store`: a crash can lose the last block interval, as in Spark.
 */
export class SocketReceiver extends Receiver<string> {
  private socket: Socket | undefined;
  private readonly reconnectDelay: number;

  constructor(
    readonly host: string,
    readonly port: number,
    options: SocketReceiverOptions = {},
  ) {
    super({ name: options.name ?? `SocketReceiver(${host}:${port})`, ...(options.maxRate === undefined ? {} : { maxRate: options.maxRate }) });
    if (typeof host !== "string" || host.length === 0) throw new TypeError(`socketTextStream(host, port) expects a host name; got ${String(host)}`);
    if (typeof port !== "number") throw new TypeError(`socketTextStream(host, port) expects a port number; got ${describe(port)}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`socketTextStream(host, port) expects a port in 1..65535; got ${String(port)}`);
    this.reconnectDelay = options.reconnectDelay ?? 2000;
  }

  onStart(): void {
    // Each connection gets its own splitter: a line cut by a lost connection is never glued to
    // the first line of the next one.
    const splitter = new LineSplitter();
    const socket = new Socket();
    this.socket = socket;
    const current = (): boolean => this.socket === socket && !this.isStopped();
    socket.on("data", (chunk: Buffer) => {
      if (!current()) return;
      let room: Promise<void> | undefined;
      for (const line of splitter.push(chunk)) room = this.store(line);
      if (room === undefined) return;
      // Past the rate limit store's promise stays pending: stop reading until it resolves, and
      // TCP's flow control slows the sender down.
      socket.pause();
      void room.then(() => {
        if (this.socket === socket) socket.resume();
      });
    });
    socket.on("end", () => {
      if (!current()) return;
      // The server closed cleanly: its last line counts even without a newline.
      for (const line of splitter.end()) void this.store(line);
      this.restart(`Socket data stream from ${this.host}:${this.port} had no more data; reconnecting`, undefined, this.reconnectDelay);
    });
    socket.on("error", (err) => {
      if (!current()) return;
      const refused = (err as NodeJS.ErrnoException).code === "ECONNREFUSED";
      const message = refused
        ? `Cannot connect to ${this.host}:${this.port}: no server listens there (start it, or check the host and port given to socketTextStream)`
        : `Error receiving from ${this.host}:${this.port}`;
      this.restart(message, err, this.reconnectDelay);
    });
    socket.on("close", () => {
      if (!current()) return;
      this.restart(`Connection to ${this.host}:${this.port} closed; reconnecting`, undefined, this.reconnectDelay);
    });
    socket.connect(this.port, this.host);
  }

  onStop(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}
