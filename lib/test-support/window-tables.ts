/**
 * Input and expected tables of Spark's WindowOperationsSuite (batch 1 s, window 2 s, slide 1 s
 * unless said otherwise), shared by the naive and the inverse window tests.
 */

/** A `(String, Int)` pair. */
export type KV = [string, number];

export const largerSlideInput: KV[][] = [[["a", 1]], [["a", 2]], [["a", 3]], [["a", 4]], [["a", 5]], [["a", 6]], [], []];

/** Window 4 s, slide 2 s over {@link largerSlideInput}. */
export const largerSlideReduceOutput: KV[][] = [[["a", 3]], [["a", 10]], [["a", 18]], [["a", 11]]];

export const bigInput: KV[][] = [
  [["a", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1], ["b", 1], ["c", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1]],
  [],
  [["a", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1], ["b", 1], ["c", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1]],
  [],
];

export const bigGroupByOutput: [string, number[]][][] = [
  [["a", [1]]],
  [["a", [1, 1]], ["b", [1]]],
  [["a", [1, 1]], ["b", [1, 1]], ["c", [1]]],
  [["a", [1, 1]], ["b", [1, 1]], ["c", [1]]],
  [["a", [1, 1]], ["b", [1]]],
  [["a", [1]]],
  [["a", [1]]],
  [["a", [1, 1]], ["b", [1]]],
  [["a", [1, 1]], ["b", [1, 1]], ["c", [1]]],
  [["a", [1, 1]], ["b", [1, 1]], ["c", [1]]],
  [["a", [1, 1]], ["b", [1]]],
  [["a", [1]]],
];

export const bigReduceOutput: KV[][] = [
  [["a", 1]],
  [["a", 2], ["b", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 1]],
  [["a", 1]],
  [["a", 1]],
  [["a", 2], ["b", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 1]],
  [["a", 1]],
];

/** With an inverse and no filter, keys stay at their zero value once their data left the window. */
export const bigReduceInvOutput: KV[][] = [
  [["a", 1]],
  [["a", 2], ["b", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 1], ["c", 0]],
  [["a", 1], ["b", 0], ["c", 0]],
  [["a", 1], ["b", 0], ["c", 0]],
  [["a", 2], ["b", 1], ["c", 0]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 2], ["c", 1]],
  [["a", 2], ["b", 1], ["c", 0]],
  [["a", 1], ["b", 0], ["c", 0]],
];
