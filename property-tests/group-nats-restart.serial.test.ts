/**
 * (Runs alone, after the other tests: see vitest.config.ts.)
 * NATS restarted under a running group of two members: the members reconnect and go on; nothing
 * is lost, nothing is counted twice (PostgreSQL sums and JetStream totals exact, no (batch, word)
 * row twice, no partition's batch committed twice). Other test runs use this NATS server too: the
 * outage is short, and the server is always started again (finally, and afterAll), waiting until
 * it listens.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { sharedNatsPid } from "../lib/test-support/own-nats-server.js";
import { listening, serviceAvailable } from "../lib/test-support/services.js";
import { waitUntil } from "../lib/test-support/wait-until.js";
import { GroupFixture } from "./support/group-run.js";

const run = promisify(execFile);
const LINES = 3_000;
const OUTAGE_MS = 3_000;
const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));

async function stopNats(): Promise<void> {
  const pid = sharedNatsPid();
  if (pid === undefined) throw new Error("no nats-server with -p 4222 found in /proc");
  await run("start-stop-daemon", ["--stop", "--oknodo", "--pid", String(pid), "--exec", "/usr/sbin/nats-server"]);
  await waitUntil(async () => !(await listening(4222)), 30_000, () => "nats-server still listens on 4222 after --stop");
}

async function startNats(): Promise<void> {
  if (await listening(4222)) return;
  // With a pid file of its own: matched by executable alone, start-stop-daemon would take another
  // test's private nats-server (same executable) for this one and start nothing.
  const pidFile = join(tmpdir(), `dstream-nats-4222-${process.pid}.pid`);
  await run("start-stop-daemon", ["--start", "--oknodo", "--background", "--make-pidfile", "--pidfile", pidFile, "--exec", "/usr/sbin/nats-server", "--", "-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server", "-l", "/var/log/nats-server.log"]);
  await rm(pidFile, { force: true });
  await waitUntil(() => listening(4222), 60_000, () => "nats-server does not listen on 4222 after --start");
}

// A safety net behind the test's finally: whatever happened, NATS runs again afterwards.
afterAll(() => startNats(), 120_000);

describe.skipIf(!ready)("NATS restarted under a group", () => {
  it("members reconnect and go on: nothing lost, nothing twice", async () => {
    const g = await GroupFixture.create();
    try {
      const a = g.start("a");
      const b = g.start("b");
      await g.followLog();
      await g.publishUpTo(LINES / 2);
      await waitUntil(() => a.commits > 0 && b.commits > 0, 90_000, () => `members did not run:\n${g.describeMembers()}`);
      // Mid-stream: some of the first half counted, not all of it.
      await waitUntil(async () => (await g.sums()).size > 0, 60_000, () => `nothing reached PostgreSQL:\n${g.describeMembers()}`);
      const before = { a: a.commits, b: b.commits };
      try {
        await stopNats();
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
      } finally {
        await startNats();
      }
      const back = Date.now();
      await g.publishUpTo(LINES);
      await waitUntil(() => a.commits > before.a && b.commits > before.b, 90_000, () => `members did not go on after the restart:\n${g.describeMembers()}`);
      // A figure, not an assertion: how long the group stood still after NATS listened again.
      console.log(`[group-nats-restart] both members committed again ${Date.now() - back} ms after NATS listened again`);
      await g.waitForResults(LINES, 90_000);
      expect(a.alive && b.alive, g.describeMembers()).toBe(true);
      await a.stop();
      await b.stop();
      await g.expectExact(LINES);
    } finally {
      await g.remove();
    }
  }, 300_000);
});
