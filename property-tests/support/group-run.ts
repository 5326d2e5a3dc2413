/**
 * What the group failure tests share: a group of its own on real NATS and PostgreSQL (input
 * stream, output subject, table, group name, all removed at the end), member processes of
 * jobs/group-word-count-job.ts that a test kills, pauses and restarts, a live record of every
 * commit the group's partition log stores (who committed which partition's batch), a producer of
 * a known multiset of words, and the checks of the result: PostgreSQL sums and last JetStream
 * totals equal to what was produced, every batch's totals equal to the counts up to it, no
 * (batch, word) row twice, and per partition no batch committed twice (a fenced member's commit
 * would repeat or go back in time).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { decodeValue } from "../../storage/codec.js";
import type { LogEntry } from "../../lib/group/contracts.js";
import { removeGroup } from "../../lib/test-support/group-fixture.js";
import { testStream, uniqueName, type TestStream } from "../../lib/test-support/jetstream-fixture.js";
import { testTable, type TestTable } from "../../lib/test-support/postgres-fixture.js";
import { waitUntil } from "../../lib/test-support/wait-until.js";
import { GROUP_PARTITIONS as P, expectedWordCounts, lineAt } from "../jobs/word-lines.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const job = fileURLToPath(new URL("../jobs/group-word-count-job.ts", import.meta.url));

/** One member process of the group job. */
export class Member {
  readonly child: ChildProcess;
  stderr = "";
  /** The member id it printed once started. */
  id: string | undefined;
  /** Batches it completed. */
  commits = 0;
  paused = false;
  /** A member the test expects to be refused: its error is not a failure of the run. */
  refusalExpected = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private ended = false;

  constructor(
    readonly label: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ["--import", "tsx", job], { cwd: repo, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.child.stdout!, crlfDelay: Infinity }).on("line", (line) => {
      if (line.startsWith("member ")) this.id = line.slice(7);
      else if (line.startsWith("commit ")) this.commits++;
    });
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        this.ended = true;
        resolve({ code, signal });
      }),
    );
  }

  get alive(): boolean {
    return !this.ended;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.ended) return;
    this.paused = signal === "SIGSTOP" ? true : signal === "SIGCONT" ? false : this.paused;
    this.child.kill(signal);
  }

  /** SIGKILL (a paused member dies too) and waits until it is gone. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.exited;
  }

  /** Stops it with SIGTERM (graceful) and expects a clean end. */
  async stop(): Promise<void> {
    if (this.paused) this.signal("SIGCONT");
    this.signal("SIGTERM");
    const { code, signal } = await this.exited;
    expect(code === 0 || signal === "SIGTERM", `member ${this.label} ended with ${code ?? signal} on SIGTERM: ${this.stderr}`).toBe(true);
  }

  describe(): string {
    return `member ${this.label} (${this.id ?? "no id yet"}, pid ${this.child.pid}, ${this.commits} batches${this.ended ? ", exited" : ""}): ${this.stderr.slice(-2000)}`;
  }
}

/** A commit the partition log stored. */
export interface SeenCommit {
  partition: number;
  time: number;
  member: string;
  seq: number;
}

/** A group of its own: input stream, output subject, table and group name, removed by `remove()`. */
export class GroupFixture {
  readonly name = uniqueName("gt");
  readonly members: Member[] = [];
  /** Every commit stored on the group's partition log, in log order (once `followLog` runs). */
  readonly commits: SeenCommit[] = [];
  private stopFollowing: (() => Promise<void>) | undefined;
  private published = 0;

  private constructor(
    readonly stream: TestStream,
    readonly table: TestTable,
    readonly options: { leaseMs: number; batchMs: number },
  ) {}

  static async create(options: { leaseMs?: number; batchMs?: number } = {}): Promise<GroupFixture> {
    const stream = await testStream();
    const table = await testTable("dstream_group", "batch_time bigint NOT NULL, word text NOT NULL, count int NOT NULL");
    return new GroupFixture(stream, table, { leaseMs: options.leaseMs ?? 3000, batchMs: options.batchMs ?? 300 });
  }

  /** The group's partition log stream and the subject of partition p's entries. */
  get logStream(): string {
    return `DSTREAM_GROUP_${this.name}_LOG`;
  }
  logSubject(p: number | "*"): string {
    return `dstream.group.${this.name}.log.${p}`;
  }

  /** Starts a member (`env` adds to the job's environment). */
  start(label: string, env: Record<string, string> = {}): Member {
    const m = new Member(label, {
      DSTREAM_JOB_STREAM: this.stream.stream,
      DSTREAM_JOB_TABLE: this.table.name,
      DSTREAM_JOB_GROUP: this.name,
      DSTREAM_JOB_LEASE_MS: String(this.options.leaseMs),
      DSTREAM_JOB_BATCH_MS: String(this.options.batchMs),
      ...env,
    });
    this.members.push(m);
    return m;
  }

  /** What every member said, for a failure message. */
  describeMembers(): string {
    return this.members.map((m) => m.describe()).join("\n");
  }

  /** Fails at once if a member ended on its own (not killed or stopped by the test) with an error. */
  checkNoMemberFailed(): void {
    for (const m of this.members) if (!m.alive && !m.refusalExpected && /^error /m.test(m.stderr)) throw new Error(`a member failed:\n${m.describe()}`);
  }

  /** Records every commit stored on the log from now on (and the ones before), once the group made its log. */
  async followLog(timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      async () => {
        this.checkNoMemberFailed();
        return (await this.stream.client.streamOf(this.logSubject(0))) !== undefined;
      },
      timeoutMs,
      () => `the group's log stream ${this.logStream} was not created:\n${this.describeMembers()}`,
    );
    const prefix = `dstream.group.${this.name}.log.`;
    this.stopFollowing = await this.stream.client.follow(this.logStream, this.logSubject("*"), (m) => {
      let entry: LogEntry;
      try {
        entry = decodeValue(m.subject, m.data) as LogEntry;
      } catch {
        return; // a chunk of a large entry, not an entry
      }
      if (entry?.kind !== "commit") return;
      this.commits.push({ partition: Number(m.subject.slice(prefix.length)), time: entry.time, member: entry.member, seq: m.seq });
    });
  }

  /** Commits seen of partition p (all partitions when undefined) by `member` after log sequence `afterSeq`. */
  commitsBy(member: string | undefined, afterSeq = 0, p?: number): SeenCommit[] {
    return this.commits.filter((c) => (member === undefined || c.member === member) && c.seq > afterSeq && (p === undefined || c.partition === p));
  }

  /** The member whose commit of p is the newest seen. */
  holderOf(p: number): string | undefined {
    for (let i = this.commits.length - 1; i >= 0; i--) if (this.commits[i]!.partition === p) return this.commits[i]!.member;
    return undefined;
  }

  /** Waits until every partition has a commit (after log sequence `afterSeq`), by `member` when given. */
  async waitUntilEveryPartitionCommitted(timeoutMs: number, afterSeq = 0, member?: string): Promise<void> {
    await waitUntil(
      () => {
        this.checkNoMemberFailed();
        const done = new Set(this.commitsBy(member, afterSeq).map((c) => c.partition));
        return done.size === P;
      },
      timeoutMs,
      () => `not every partition committed after log seq ${afterSeq}${member === undefined ? "" : ` by ${member}`} (${this.commits.length} commits seen):\n${this.describeMembers()}`,
    );
  }

  get lastSeq(): number {
    return this.commits.at(-1)?.seq ?? 0;
  }

  /** Publishes lines up to `n` (line i on partition i mod P), in acknowledged chunks. */
  async publishUpTo(n: number): Promise<void> {
    const encoder = new TextEncoder();
    while (this.published < n) {
      const from = this.published;
      const end = Math.min(n, from + 500);
      // Each line has a message id: a publish retried after a timeout (JetStream still recovering
      // after a NATS restart) is stored once.
      const publishSlice = async (): Promise<void> => {
        const acks: Promise<unknown>[] = [];
        for (let i = from; i < end; i++) acks.push(this.stream.client.publish(`${this.stream.subject}.${i % P}`, encoder.encode(lineAt(i)), { msgId: `line-${i}` }));
        await Promise.all(acks);
      };
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          await publishSlice();
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      this.published = end;
    }
  }

  /**
   * Publishes lines up to `total` spread over `durationMs` (a live input), in steps of `stepMs`;
   * `stopped()` ends it early (the rest is published when the caller calls publishUpTo).
   */
  async produceOver(total: number, durationMs: number, stepMs = 250, stopped: () => boolean = () => false): Promise<void> {
    const start = Date.now();
    const from = this.published;
    while (this.published < total && !stopped()) {
      const share = Math.min(1, (Date.now() - start + stepMs) / durationMs);
      await this.publishUpTo(Math.floor(from + (total - from) * share));
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }

  /** PostgreSQL's per-word sums of the per-batch counts. */
  async sums(): Promise<Map<string, number>> {
    const rows = await this.table.query<{ word: string; n: number }>(`SELECT word, sum(count)::int AS n FROM "${this.table.name}" GROUP BY word`);
    return new Map(rows.map((r) => [r.word, r.n]));
  }

  /** The last running total per word on the output subject. */
  async totals(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const m of await this.stream.read(`${this.stream.stream}.out`)) {
      const [word, total] = JSON.parse(new TextDecoder().decode(m.data)) as [string, number];
      out.set(word, total);
    }
    return out;
  }

  /** Waits until PostgreSQL's sums and the last JetStream totals are the counts of lines 0..lines-1. */
  async waitForResults(lines: number, timeoutMs: number): Promise<void> {
    const expected = expectedWordCounts(lines);
    let sums = new Map<string, number>();
    let totals = new Map<string, number>();
    await waitUntil(
      async () => {
        this.checkNoMemberFailed();
        sums = await this.sums();
        if (!sameCounts(sums, expected)) return false;
        totals = await this.totals();
        return sameCounts(totals, expected);
      },
      timeoutMs,
      () => `results not exact: expected ${JSON.stringify([...expected])}, PostgreSQL sums ${JSON.stringify([...sums])}, JetStream totals ${JSON.stringify([...totals])}\n${this.describeMembers()}`,
    );
  }

  /**
   * The checks of a finished run (members stopped): sums and last totals exact, each batch's
   * totals equal to the counts up to it, no (batch, word) row twice, and per partition the
   * committed batch times strictly increase in log order.
   */
  async expectExact(lines: number): Promise<void> {
    const expected = expectedWordCounts(lines);
    expect(await this.table.query(`SELECT batch_time, word, count(*)::int AS n FROM "${this.table.name}" GROUP BY batch_time, word HAVING count(*) > 1`), "a (batch, word) row twice").toEqual([]);
    expect(await this.sums()).toEqual(expected);
    expect(await this.totals()).toEqual(expected);
    await this.expectTotalsMatchCounts();
    expectNoBatchCommittedTwice(this.commits);
  }

  /**
   * Every running total on the output subject (a batch's `[word, total]`, its batch time in the
   * Msg-Id `<job id>:<sink id>:<time>:<index>`) equals the word's PostgreSQL counts summed over the batches
   * up to that one: state and sink agree batch by batch, not only at the end.
   */
  async expectTotalsMatchCounts(): Promise<void> {
    const rows = await this.table.query<{ batch_time: string; word: string; count: number }>(`SELECT batch_time::text, word, count FROM "${this.table.name}"`);
    const upTo = (word: string, time: number): number => rows.reduce((n, r) => (r.word === word && Number(r.batch_time) <= time ? n + r.count : n), 0);
    for (const m of await this.stream.read(`${this.stream.stream}.out`)) {
      const id = m.headers?.["Nats-Msg-Id"] ?? "";
      const time = Number(id.split(":").at(-2));
      const [word, total] = JSON.parse(new TextDecoder().decode(m.data)) as [string, number];
      expect(total, `total of ${word} at batch ${time} (message ${m.seq}, ${id}) against the PostgreSQL counts up to that batch`).toBe(upTo(word, time));
    }
  }

  async remove(): Promise<void> {
    for (const m of this.members) await m.kill();
    await this.stopFollowing?.();
    await removeGroup(this.name);
    await this.stream.remove();
    await this.table.remove();
  }
}

/** Per partition, commit times strictly increase in log order: no batch committed twice, none after a newer one. */
export function expectNoBatchCommittedTwice(commits: readonly SeenCommit[]): void {
  const last = new Map<number, SeenCommit>();
  for (const c of commits) {
    const before = last.get(c.partition);
    if (before !== undefined && c.time <= before.time) {
      throw new Error(`partition ${c.partition}: batch ${c.time} committed by ${c.member} (log seq ${c.seq}) after batch ${before.time} by ${before.member} (seq ${before.seq})`);
    }
    last.set(c.partition, c);
  }
}

function sameCounts(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}
