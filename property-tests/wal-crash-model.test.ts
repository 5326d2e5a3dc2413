/**
 * The WAL and cleanup against a simple model, with a crash at a random write (what
 * storage/wal.model.test.ts, which covers appends, plans, cleanup and clean reopens, leaves out):
 * concurrent appends (group commit) and cleanups run until the k-th write dies; after a reopen,
 * every acknowledged block not cleaned is there and equal, no block is torn or invented, each
 * receiver's blocks are one dense run up to its head, and numbering resumes after the head, also
 * when cleanup had deleted every block.
 *
 * Replay: DSTREAM_SEED=<seed printed> [DSTREAM_PATH=<path>] npx vitest run property-tests/wal-crash-model.test.ts
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { CheckpointStore } from "../storage/checkpoint-store.js";
import { FaultInjectingKv } from "../storage/fault-kv.js";
import { MemoryKv } from "../storage/memory-kv.js";
import { replayParams, runs } from "./support/seed.js";

const RUNS = runs(300, 5000);

type Step = { kind: "append"; receiver: number; blocks: number[][] } | { kind: "cleanup"; receiver: number; below: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("append" as const), receiver: fc.integer({ min: 0, max: 1 }), blocks: fc.array(fc.array(fc.nat(99), { maxLength: 3 }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cleanup" as const), receiver: fc.integer({ min: 0, max: 1 }), below: fc.nat(12) }) },
);

it(`WAL blocks survive a crash at any write as the model says (${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), fc.nat(30), async (steps, crashAt) => {
      const mem = new MemoryKv();
      const kv = new FaultInjectingKv(mem, { crashAtWrite: crashAt });
      const store = await CheckpointStore.over(kv);
      const appended = [new Map<number, { records: number[]; offset: number }>(), new Map<number, { records: number[]; offset: number }>()];
      const acked = [new Set<number>(), new Set<number>()];
      const cleanedBelow = [0, 0];
      let offset = 0;
      for (const s of steps) {
        if (s.kind === "append") {
          const log = appended[s.receiver]!;
          const results = await Promise.allSettled(
            s.blocks.map((records) => {
              const block = { records, offset: ++offset };
              const p = store.wal.append(s.receiver, records, { offset: block.offset });
              return p.then(({ seq }) => {
                log.set(seq, block);
                acked[s.receiver]!.add(seq);
              });
            }),
          );
          if (results.some((r) => r.status === "rejected")) break;
        } else {
          // Cleanup never passes what the engine would not: below the newest acknowledged block + 1.
          const below = Math.min(s.below, Math.max(-1, ...acked[s.receiver]!) + 1);
          try {
            await store.cleanup({ walBelow: { [s.receiver]: below } });
            cleanedBelow[s.receiver] = Math.max(cleanedBelow[s.receiver]!, below);
          } catch {
            break;
          }
        }
      }
      kv.crashNow();
      await store.close().catch(() => undefined);

      const again = await CheckpointStore.over(mem.reopen());
      for (const r of [0, 1]) {
        const head = await again.wal.lastBlock(r);
        const maxAcked = Math.max(-1, ...acked[r]!);
        expect(head?.seq ?? -1, `receiver ${r}: head`).toBeGreaterThanOrEqual(maxAcked);
        const blocks = await again.wal.read(r, 0, (head?.seq ?? -1) + 1);
        const seqs = blocks.map((b) => b.seq);
        // One dense run ending at the head.
        if (seqs.length > 0) expect(seqs, `receiver ${r}: dense`).toEqual(seqs.map((_, i) => seqs[0]! + i));
        if (seqs.length > 0) expect(seqs.at(-1), `receiver ${r}: ends at the head`).toBe(head?.seq);
        for (const b of blocks) {
          expect(b.seq, `receiver ${r}: block ${b.seq} was cleaned`).toBeGreaterThanOrEqual(cleanedBelow[r]!);
          // A block not acknowledged may be there (its write landed before the crash) but whole.
          const want = appended[r]!.get(b.seq);
          if (want !== undefined) expect({ records: b.records, offset: b.offset }, `receiver ${r}: block ${b.seq}`).toEqual(want);
        }
        for (const seq of acked[r]!) if (seq >= cleanedBelow[r]!) expect(seqs, `receiver ${r}: acknowledged block ${seq}`).toContain(seq);
        // Numbering resumes after the head, even when cleanup deleted every block.
        const next = await again.wal.append(r, ["after"], { offset: -1 });
        expect(next.seq, `receiver ${r}: next seq`).toBe((head?.seq ?? -1) + 1);
        if (head !== undefined) expect(head.offset, `receiver ${r}: head offset`).toBe(appended[r]!.get(head.seq)?.offset ?? head.offset);
      }
      await again.close();
    }),
    { ...replayParams("wal-crash-model"), numRuns: RUNS },
  );
});
