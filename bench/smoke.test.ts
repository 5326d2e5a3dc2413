/**
 * Every benchmark still runs: each `run` with tiny sizes must give finite, positive figures. Says
 * nothing about speed and never fails on time (DESIGN.md §1: benchmarks print, they don't judge).
 */
import { describe, expect, it } from "vitest";
import { serviceAvailable } from "../lib/test-support/services.js";
import type { BenchResult } from "./common.js";

const nats = await serviceAvailable("nats");
const postgres = await serviceAvailable("postgres");

const benches: [string, () => Promise<{ run: (o: { smoke: boolean }) => Promise<BenchResult | BenchResult[]> }>][] = [
  ["word-count", () => import("./word-count.bench.js")],
  ["word-count-wal", () => import("./word-count-wal.bench.js")],
  ["commit-cost", () => import("./commit-cost.bench.js")],
  ["recovery", () => import("./recovery.bench.js")],
  ["memory", () => import("./memory.bench.js")],
  ["latency", () => import("./latency.bench.js")],
  ["event-time", () => import("./event-time.bench.js")],
  // Leaves out a broker that is not running (RabbitMQ, Mosquitto); ZeroMQ needs none.
  ["mq-receivers", () => import("./mq-receivers.bench.js")],
  ["plain-data", () => import("./plain-data.bench.js")],
  ["catch-up", () => import("./catch-up.bench.js")],
  ["ui-overhead", () => import("./ui-overhead.bench.js")],
  ["ml", () => import("./ml.bench.js")],
];
// These need their service: skipped (with the reason printed) where it is not running.
if (nats) benches.push(["jetstream-source", () => import("./jetstream-source.bench.js")], ["group-receiver", () => import("./group-receiver.bench.js")], ["group", () => import("./group.bench.js")]);
if (postgres) benches.push(["postgres-sink", () => import("./postgres-sink.bench.js")]);

describe("benchmarks (smoke sizes)", () => {
  for (const [name, load] of benches) {
    it(`${name} produces finite positive figures`, { timeout: 120_000 }, async () => {
      const out = await (await load()).run({ smoke: true });
      for (const r of Array.isArray(out) ? out : [out]) {
        const all = { ...r.figures, ...r.ratios };
        expect(Object.keys(all).length).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(all)) expect(Number.isFinite(v) && v > 0, `${r.name}: ${k} = ${v}`).toBe(true);
      }
    });
  }
});
