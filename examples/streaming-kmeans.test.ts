import { join } from "node:path";
import { ManualClock, StreamingContext, type KMeansModelState } from "dstream";
import { afterEach, describe, expect, it } from "vitest";
import { buildClustering, describeModel, drifting, random, trueCenters } from "./streaming-kmeans.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";

const tempDir = tempDirs("dstream-example-kmeans-");
let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

const rand = random(7);
const input = Array.from({ length: 40 }, (_x, b) => drifting(b, 150, rand));

/** Runs batches `from` … `to − 1` of `input` on the checkpoint in `dir`; the model after each. */
async function run(dir: string, from: number, to: number): Promise<KMeansModelState[]> {
  const clock = new ManualClock(from * 1000);
  const models: KMeansModelState[] = [];
  ssc = await StreamingContext.getOrCreate(join(dir, "cp"), () => {
    const s = new StreamingContext({ batchDuration: 1000, clock });
    const points = s.queueStream(input.slice(from, to).map((b) => [...b]));
    const model = buildClustering(points);
    points.foreachRDD(() => void models.push(model.latestModel()));
    return s;
  });
  await ssc.start();
  await clock.advance((to - from) * 1000);
  await ssc.stop();
  ssc = undefined;
  return models;
}

/** The largest distance from a true center of batch `b` to its nearest model center. */
function worstMiss(m: KMeansModelState, b: number): number {
  return Math.max(...trueCenters(b).map((t) => Math.min(...m.clusterCenters.map((c) => Math.hypot((c[0] as number) - (t[0] as number), (c[1] as number) - (t[1] as number))))));
}

describe("streaming k-means example", () => {
  it("finds the three clusters and follows them as they drift", async () => {
    const models = await run(await tempDir(), 0, 40);
    expect(models).toHaveLength(40);
    // Each model center stays within 0.4 of a true center: one batch behind, the drift is 0.17.
    for (let b = 0; b < 40; b++) expect(worstMiss(models[b] as KMeansModelState, b), `batch ${b}`).toBeLessThan(0.4);
    // By batch 39 the clusters have turned 58° since batch 10: a model that stopped learning there would be far off.
    expect(worstMiss(models[10] as KMeansModelState, 39)).toBeGreaterThan(3);
    // With a half-life of one batch of 50 points each, every weight settles at 50/(1 − 1/2) = 100.
    for (const w of (models[39] as KMeansModelState).clusterWeights) expect(w).toBeCloseTo(100, 6);
  });

  it("goes on from the checkpointed model after a restart", async () => {
    const whole = await run(await tempDir(), 0, 20);
    const dir = await tempDir();
    const first = await run(dir, 0, 8);
    const second = await run(dir, 8, 20);
    expect([...first, ...second]).toEqual(whole);
  });

  it("prints one line per cluster, by angle", () => {
    expect(describeModel({ clusterCenters: [[0, -5], [-4.33, 2.5], [5, 0.004]], clusterWeights: [243.04, 10, 0.5] })).toEqual([
      "center ( 0.00, -5.00)  weight 243.0",
      "center ( 5.00,  0.00)  weight 0.5",
      "center (-4.33,  2.50)  weight 10.0",
    ]);
  });
});
