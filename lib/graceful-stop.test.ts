import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "./clock.js";
import { TestReceiver } from "./test-support/test-receiver.js";
import { StreamingContext } from "./streaming-context.js";

describe("graceful stop", () => {
  it("stop({ stopGracefully: true }) processes every record already stored before stopping", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const receiver = new TestReceiver<number>();
    const seen: [number, number[]][] = [];
    ssc.receiverStream(receiver).foreachRDD((rdd, t) => void seen.push([t, rdd.collect()]));
    await ssc.start();
    receiver.store(1);
    receiver.store(2);
    await clock.advance(1000);
    receiver.store(3);
    await receiver.storeMany([4, 5]);
    receiver.store(6);
    // Nothing of 3..6 has been in a batch yet; a graceful stop must not drop them.
    await ssc.stop({ stopGracefully: true });
    expect(seen[0]).toEqual([1000, [1, 2]]);
    // As in Spark, a storeMany block goes in whole at once, ahead of records still buffered by store().
    expect(seen.flatMap(([, xs]) => xs)).toEqual([1, 2, 4, 5, 3, 6]);
    expect(ssc.getState()).toBe("stopped");
    expect(receiver.isStopped()).toBe(true);
  });

  it("stop() without stopGracefully does not wait for stored records", async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const receiver = new TestReceiver<number>();
    const seen: number[] = [];
    ssc.receiverStream(receiver).foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    receiver.store(1);
    await ssc.stop();
    expect(seen).toEqual([]);
  });

  it("SIGTERM with stopGracefullyOnShutdown drains, commits and then exits by the signal", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./test-support/graceful-child.ts", import.meta.url))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("READY") && !child.killed) child.kill("SIGTERM");
    });
    child.stderr.on("data", (d: Buffer) => void (err += d.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    expect(err).toBe("");
    expect(signal).toBe("SIGTERM");
    expect(code).toBeNull();
    const records = out
      .split("\n")
      .filter((l) => l.startsWith("batch "))
      .flatMap((l) => l.split(":")[1]?.trim().split(",").filter(Boolean) ?? []);
    expect(records).toEqual(["1", "2", "3", "4", "5"]);
    expect(out).toContain("STOPPED");
  }, 60_000);

  it("a second signal, a second or more after the first, stops a graceful stop whose batch hangs at once (the echo of one Ctrl-C does not)", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./test-support/graceful-child.ts", import.meta.url))], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DSTREAM_HANG_DRAIN: "1" },
    });
    let out = "";
    let err = "";
    let firstAt = 0;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("READY") && firstAt === 0) {
        firstAt = Date.now();
        child.kill("SIGTERM");
        // The echo of the same Ctrl-C (npm, tsx): ignored.
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d: Buffer) => void (err += d.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    let code: number | null;
    let signal: NodeJS.Signals | null;
    try {
      // The drain batch runs and hangs; the user presses Ctrl-C again, a second or more later.
      await vi.waitFor(() => expect(out).toContain("DRAINING"), { timeout: 30_000, interval: 20 });
      await vi.waitFor(() => expect(Date.now() - firstAt).toBeGreaterThan(1100), { timeout: 5_000, interval: 50 });
      expect(child.exitCode).toBeNull(); // still draining: the echo did not stop it
      child.kill("SIGTERM");
      [code, signal] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the second SIGTERM did not stop the process:\n${out}\n${err}`)), 30_000))]);
    } finally {
      // A process the signals did not stop must not outlive the test.
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    expect(signal).toBe("SIGTERM");
    expect(code).toBeNull();
    expect(err).toMatch(/dstream: SIGTERM again while stopping gracefully: stopping now; batches not committed run again at the next start/);
    expect(out).not.toContain("STOPPED");
  }, 60_000);
});
