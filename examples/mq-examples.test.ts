/**
 * The message-queue examples run as a user runs them: a real process for a few seconds, against
 * the real broker (ZeroMQ needs none); their last running totals must be consistent.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { serviceAvailable } from "../lib/test-support/services.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const rabbit = await serviceAvailable("rabbitmq");
const mosquitto = await serviceAvailable("mosquitto");

/** Runs `examples/<file>` for `seconds`; resolves with the last `TOTALS` it printed. */
function runExample(file: string, seconds: number): Promise<Record<string, number>> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=dstream-source", `examples/${file}`, "--seconds", String(seconds)], { cwd: repo });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve, reject) => {
    child.on("close", (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`${file} exited with ${code}: ${err}`));
      const last = out.split("\n").filter((l) => l.startsWith("TOTALS ")).at(-1);
      if (last === undefined) return reject(new Error(`${file} printed no totals: ${out}${err}`));
      resolve(JSON.parse(last.slice("TOTALS ".length)) as Record<string, number>);
    });
  });
}

/** Each tick publishes "hello <word> n" and "hello again": hello counts twice per "again", give or take the tick cut by the stop. */
function expectConsistent(totals: Record<string, number>, word: string): void {
  const again = totals.again ?? 0;
  expect(again).toBeGreaterThanOrEqual(2);
  expect(Math.abs((totals.hello ?? 0) - 2 * again)).toBeLessThanOrEqual(1);
  expect(totals[word]).toBe((totals.hello ?? 0) - again);
}

describe("message-queue examples", () => {
  it.skipIf(!rabbit)("rabbitmq-stream.ts counts every message once", async () => {
    expectConsistent(await runExample("rabbitmq-stream.ts", 3), "rabbit");
  }, 90_000);

  it.skipIf(!mosquitto)("mqtt-stream.ts counts every message once", async () => {
    expectConsistent(await runExample("mqtt-stream.ts", 3), "mqtt");
  }, 90_000);

  it("zeromq-stream.ts counts the messages it receives", async () => {
    const totals = await runExample("zeromq-stream.ts", 3);
    expect(totals.hello).toBeGreaterThanOrEqual(2);
    expect(totals.zeromq).toBe(totals.hello);
  }, 90_000);
});
