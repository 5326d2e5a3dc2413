/** The deterministic input of the JetStream SIGKILL job: line i, its partition, the word counts. */

/** Partitions of the job's input stream. */
export const PARTITIONS = 4;

/** Partitions of the group jobs' input (jobs/group-word-count-job.ts): more than members, and not a multiple of every member count. */
export const GROUP_PARTITIONS = 6;

/** Line `i`: 1 to 5 words out of 13. */
export function lineAt(i: number): string {
  const words: string[] = [];
  for (let j = 0; j <= i % 5; j++) words.push(`w${(i * 7 + j * 3) % 13}`);
  return words.join(" ");
}

/** The word counts of lines 0..n-1. */
export function expectedWordCounts(n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const w of lineAt(i).split(" ")) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}
