/**
 * Clustering a stream with StreamingKMeans: 2-D points arrive around three centers that drift
 * slowly around a circle. The model forgets old points with a half-life of one batch, so its
 * centers follow the drift (a step behind); it is printed after every batch. The model is checkpointed with each
 * batch: stop the example and start it again, and it goes on from the centers it had.
 *
 *   node --import tsx --conditions=dstream-source examples/streaming-kmeans.ts [--seconds 20]
 */
import { Seconds, StreamingContext, StreamingKMeans, type DStream, type KMeansModelState } from "dstream";
import { feedQueue, numberArg, runFor, stringArg } from "./demo.js";
import { isMain, runMain } from "./run-main.js";

/** Number of clusters, in the data and in the model. */
export const K = 3;

/** Trains a model on `points` and returns it (its centers move with every batch). */
export function buildClustering(points: DStream<number[]>): StreamingKMeans {
  const model = new StreamingKMeans({ k: K, halfLife: [1, "batches"], uid: "drifting-clusters" }).setRandomCenters(2, 0, 42);
  model.trainOn(points);
  return model;
}

/** The true centers at batch `b`: three points 120° apart on a circle of radius 5, turning 2° a batch. */
export function trueCenters(b: number): number[][] {
  return Array.from({ length: K }, (_x, c) => {
    const angle = ((c * 120 + b * 2) * Math.PI) / 180;
    return [5 * Math.cos(angle), 5 * Math.sin(angle)];
  });
}

/** `n` points of batch `b`, each near one of the true centers (Gaussian noise, deviation 0.5). */
export function drifting(b: number, n: number, rand: () => number): number[][] {
  const centers = trueCenters(b);
  return Array.from({ length: n }, (_x, i) => (centers[i % K] as number[]).map((x) => x + 0.5 * gaussian(rand)));
}

/** One line per cluster: `center (x, y)  weight w`, sorted by angle so lines stay in place. */
export function describeModel(m: KMeansModelState): string[] {
  return m.clusterCenters
    .map((c, i) => ({ c, w: m.clusterWeights[i] as number }))
    .sort((a, b) => Math.atan2(a.c[1] as number, a.c[0] as number) - Math.atan2(b.c[1] as number, b.c[0] as number))
    .map(({ c, w }) => `center (${fixed(c[0] as number)}, ${fixed(c[1] as number)})  weight ${w.toFixed(1)}`);
}

const fixed = (x: number): string => (x >= 0 ? " " : "") + x.toFixed(2);

/** A small seeded uniform generator, so a run can be repeated. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

async function main(): Promise<void> {
  const dir = stringArg("checkpoint", "./checkpoints/streaming-kmeans");
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), stopGracefullyOnShutdown: true });
    const queue: number[][][] = [];
    const rand = random(numberArg("seed", 7));
    // Batches are numbered by wall-clock seconds, so a restarted run sees the drift where it is.
    feedQueue(ssc, queue, () => drifting(Math.floor(Date.now() / 1000), 150, rand));
    const points = ssc.queueStream(queue);
    const model = buildClustering(points);
    points.foreachRDD((rdd, time) => {
      console.log(`${new Date(time).toISOString().slice(11, 19)}  ${rdd.count()} points; true centers ${trueCenters(Math.floor(time / 1000) - 1).map((c) => `(${c.map((x) => x.toFixed(1)).join(", ")})`).join(" ")}`);
      for (const line of describeModel(model.latestModel())) console.log(`  ${line}`);
    });
    return ssc;
  });
  await runFor(ssc, numberArg("seconds", 20));
}

if (isMain(import.meta.url)) runMain(main);
