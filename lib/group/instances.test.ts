import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runInstances } from "./instances.js";

const echo = fileURLToPath(new URL("../test-support/member-echo.ts", import.meta.url));
const parent = fileURLToPath(new URL("../test-support/instances-parent.ts", import.meta.url));

function collector(): { stream: PassThrough; lines(): string[] } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (d: Buffer) => (text += d.toString()));
  return { stream, lines: () => text.split("\n").filter((l) => l !== "") };
}

describe("runInstances", () => {
  it("starts N members with their index, prefixes every line of each, and resolves with their exit codes", async () => {
    const out = collector();
    const err = collector();
    const exits = await runInstances({ script: echo, args: ["echo"], instances: 3, env: { DSTREAM_TEST_GREETING: "hi" }, stdout: out.stream, stderr: err.stream });
    expect(exits).toEqual([0, 1, 2].map((member) => ({ member, code: member, signal: null })));
    expect(out.lines().sort()).toEqual([0, 1, 2].flatMap((i) => [`[member ${i}] hello ${i} hi`, `[member ${i}] no newline ${i}`]).sort());
    expect(err.lines().sort()).toEqual([0, 1, 2].map((i) => `[member ${i}] on stderr ${i}`));
  });

  it("forwards SIGTERM to every member and waits for them to stop", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", parent, "2"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<void>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("[member 0] ready\n") && stdout.includes("[member 1] ready\n")) resolve();
      }),
    );
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await Promise.race([ready, closed.then(() => Promise.reject(new Error(`launcher ended before its members were ready: ${stdout} ${stderr}`)))]);
    child.kill("SIGTERM");
    expect(await closed, stderr).toBe(0);
    expect(stdout).toContain("[member 0] stopping on SIGTERM\n");
    expect(stdout).toContain("[member 1] stopping on SIGTERM\n");
    const exits = JSON.parse(/^exits (.*)$/m.exec(stdout)![1]!) as unknown;
    expect(exits).toEqual([0, 1].map((member) => ({ member, code: 0, signal: null })));
  });

  it("rejects a bad member count", async () => {
    await expect(runInstances({ script: echo, instances: 0 })).rejects.toThrow(RangeError);
  });
});
