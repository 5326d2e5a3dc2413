/** The WAL and cleanup against a simple model. Replay with FC_SEED=<seed printed below>. */
import fc from "fast-check";
import { expect, it } from "vitest";
import { CheckpointStore } from "./checkpoint-store.js";
import { AppendCommand, CheckCommand, CleanupCommand, PlanCommand, ReopenCommand, type Model, type Real } from "./fixtures/wal-model.js";
import { MemoryKv } from "./memory-kv.js";

const receiver = fc.integer({ min: 0, max: 2 });
const block = fc.record({ records: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)), { maxLength: 5 }), offset: fc.option(fc.nat(), { nil: undefined }) });

const commands = [
  fc.tuple(receiver, fc.array(block, { minLength: 1, maxLength: 4 })).map(([r, bs]) => new AppendCommand(r, bs)),
  fc.nat({ max: 20 }).map((t) => new PlanCommand(t)),
  fc.tuple(fc.dictionary(receiver.map(String), fc.nat({ max: 12 })), fc.nat({ max: 20 })).map(
    ([w, b]) => new CleanupCommand(Object.fromEntries(Object.entries(w).map(([k, v]) => [Number(k), v])), b),
  ),
  fc.constant(new ReopenCommand()),
  fc.constant(new CheckCommand()),
];

it("WAL + cleanup behave like the model, across reopens", async () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`wal model seed: ${seed} (replay with FC_SEED=${seed})`);
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
      const kv = new MemoryKv();
      const real: Real = { kv, store: await CheckpointStore.over(kv) };
      const model: Model = { blocks: new Map(), next: new Map(), plans: new Set() };
      await fc.asyncModelRun(() => ({ model, real }), [...cmds, new CheckCommand()]);
      await real.store.close();
    }),
    { seed, numRuns: 150 },
  );
  expect(true).toBe(true);
});
