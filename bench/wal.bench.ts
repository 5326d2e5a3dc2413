/**
 * WAL throughput: blocks of 1000 30-byte records, synced, several concurrent producers (group
 * commit), against a baseline measured in the same run: raw `level` chained-batch writes of the
 * same blocks, already encoded, with the same sync setting and the same producers. The WAL pays
 * for encoding and CRC on top; target ratio >= 0.8.
 *
 *   npx tsx bench/wal.bench.ts [--smoke]
 */
import { Level } from "level";
import { decodeValue } from "../storage/codec.js";
import { walKey } from "../storage/keys.js";
import { LevelKv } from "../storage/level-kv.js";
import { Wal } from "../storage/wal.js";
import { encodeBlock } from "../storage/wal-block.js";
import { fmt, smoke, tempDir, timeMs } from "./harness.js";

const RECORDS_PER_BLOCK = 1000;
const PRODUCERS = 4;
const BLOCKS_PER_PRODUCER = smoke ? 10 : 500;
const SYNC = true;
const ROUNDS = smoke ? 1 : 3;

// 30-byte records, distinct so nothing compresses specially.
const records = Array.from({ length: RECORDS_PER_BLOCK }, (_, i) => `record-${String(i).padStart(8, "0")}-abcdefghijklm`.slice(0, 30));
const totalRecords = PRODUCERS * BLOCKS_PER_PRODUCER * RECORDS_PER_BLOCK;

async function baseline(): Promise<number> {
  const { dir, remove } = tempDir("wal-baseline");
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
  await db.open();
  const value = encodeBlock(records, 0);
  const ms = await timeMs(() =>
    Promise.all(
      Array.from({ length: PRODUCERS }, async (_, p) => {
        for (let s = 0; s < BLOCKS_PER_PRODUCER; s++) await db.batch().put(walKey(p, s), value).write({ sync: SYNC });
      }),
    ).then(() => undefined),
  );
  await db.close();
  remove();
  return (totalRecords / ms) * 1000;
}

async function wal(): Promise<{ rate: number; writes: number }> {
  const { dir, remove } = tempDir("wal");
  const kv = await LevelKv.open(dir);
  const log = await Wal.open(kv);
  const ms = await timeMs(() =>
    Promise.all(
      Array.from({ length: PRODUCERS }, async (_, p) => {
        for (let s = 0; s < BLOCKS_PER_PRODUCER; s++) await log.append(p, records, { offset: s, sync: SYNC });
      }),
    ).then(() => undefined),
  );
  const writes = log.writes;
  await log.close();
  await kv.close();
  remove();
  return { rate: (totalRecords / ms) * 1000, writes };
}

function codecCost(): { encodeUs: number; decodeUs: number; bytes: number } {
  const n = smoke ? 50 : 2000;
  const buf = encodeBlock(records, 1);
  for (let i = 0; i < 50; i++) decodeValue("bench", encodeBlock(records, i)); // warm up
  let t = performance.now();
  for (let i = 0; i < n; i++) encodeBlock(records, i);
  const encodeUs = ((performance.now() - t) / n) * 1000;
  t = performance.now();
  for (let i = 0; i < n; i++) decodeValue("bench", buf);
  return { encodeUs, decodeUs: ((performance.now() - t) / n) * 1000, bytes: buf.length };
}

const codec = codecCost();
console.log(`blocks of ${RECORDS_PER_BLOCK} x 30-byte records, ${PRODUCERS} producers x ${BLOCKS_PER_PRODUCER} blocks, sync=${SYNC}${smoke ? " (smoke)" : ""}`);
console.log(`encode ${codec.encodeUs.toFixed(1)} us/block, decode ${codec.decodeUs.toFixed(1)} us/block, ${fmt(codec.bytes)} bytes/block`);
const base: number[] = [];
const ours: number[] = [];
let writes = 0;
// Alternate the two so disk and cache drift hit both alike; report the best round of each.
for (let round = 0; round < ROUNDS; round++) {
  base.push(await baseline());
  const w = await wal();
  ours.push(w.rate);
  writes = w.writes;
}
const b = Math.max(...base);
const o = Math.max(...ours);
console.log(`raw level chained batch: ${fmt(b)} records/s`);
console.log(`WAL (group commit):      ${fmt(o)} records/s (${fmt(PRODUCERS * BLOCKS_PER_PRODUCER)} appends in ${fmt(writes)} writes)`);
console.log(`ratio WAL / raw: ${(o / b).toFixed(2)} (target >= 0.8)`);
