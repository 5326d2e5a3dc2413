/**
 * Regression test for a bug crash-model.test.ts found (DSTREAM_SEED=1969609575): a window over a
 * stateful operator's output lost the batches before a restart, as the operator cannot compute an
 * already committed batch again. Fixed by keeping the outputs the window reads back in the commits
 * of its span (DStreamGraph.findHistory) and by advancing state in every batch's own commit.
 */
import { expect, it } from "vitest";
import type { DStream } from "../lib/dstream/internal.js";
import { StreamTest } from "../lib/test-support/stream-test.js";

const words = [["a", "b"], ["a"], ["b", "c"], ["a"], []];
const op = (s: DStream<string>): DStream<unknown> =>
  s
    .map((w): [string, number] => [w, 1])
    .updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0))
    .window(2000, 1000);

async function outputs(crashAfter: number | undefined): Promise<Map<number, unknown[]>> {
  const t = new StreamTest(op);
  for (const b of words) t.addData(...b);
  await t.start();
  if (crashAfter !== undefined) {
    await t.advance(crashAfter);
    await t.crash();
    await t.restart();
  }
  await t.advance(words.length - (crashAfter ?? 0));
  await t.stop();
  return t.outputsByTime();
}

it("a window over updateStateByKey's output gives the same batches with a restart in between", async () => {
  const expected = await outputs(undefined);
  const got = await outputs(2);
  const sorted = (m: Map<number, unknown[]>) => [...m].map(([t, xs]) => [t, xs.map((x) => JSON.stringify(x)).sort()]);
  expect(sorted(got)).toEqual(sorted(expected));
});
