/** The deterministic source of the SIGKILL job: records 0..N-1, their keys and chunking. */

/** The key record `i` is counted under. */
export function keyOf(i: number): string {
  return `k${(i * 7) % 13}`;
}

/** The chunk the source hands over at offset `from`: 1 to 40 records, a function of the offset. */
export function chunkAt(from: number, total: number): number[] {
  const size = Math.min(1 + ((from * 31) % 40), total - from);
  return Array.from({ length: size }, (_, j) => from + j);
}

/** The running counts of records 0..n-1 per key. */
export function expectedCounts(records: Iterable<number>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of records) counts.set(keyOf(i), (counts.get(keyOf(i)) ?? 0) + 1);
  return counts;
}
