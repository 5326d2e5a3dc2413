/**
 * A nats-server of a test's own, on a free port with JetStream in a directory of the test's: it can
 * be stopped and started again without disturbing the shared server other tests use.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { listening } from "./services.js";
import { waitUntil } from "./wait-until.js";

/** True when a `nats-server` executable runs here. */
export const natsServerInstalled = await new Promise<boolean>((resolve) => {
  const p = spawn("nats-server", ["--version"], { stdio: "ignore" });
  p.once("error", () => resolve(false));
  p.once("exit", (code) => resolve(code === 0));
});

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts nats-server with JetStream in `dir` on `port`, and waits until it listens. */
export async function ownNatsServer(dir: string, port: number): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], { stdio: "ignore" });
  const exited = once(child, "exit");
  await waitUntil(() => listening(port), 30_000, () => `nats-server on port ${port} does not listen`);
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The pid of the shared nats-server (the one serving port 4222), from /proc. Tests run private
 * nats-servers on other ports at the same time: matching the executable alone would take one of
 * theirs (to stop it, or to read its CPU time while it comes and goes).
 */
export function sharedNatsPid(): number | undefined {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (args[0]?.endsWith("nats-server") && args.some((a, i) => a === "-p" && args[i + 1] === "4222")) return Number(d);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}
