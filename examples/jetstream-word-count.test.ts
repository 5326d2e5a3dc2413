import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock, StreamingContext } from "dstream";
import { describe, expect, it } from "vitest";
import { JetStreamClient } from "../lib/sources/jetstream/jetstream-client.js";
import { removeGroup } from "../lib/test-support/group-fixture.js";
import { NATS_URL, uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { PG_URL } from "../lib/test-support/postgres-fixture.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";
import { cleanupsAfterEach } from "../lib/test-support/cleanups.js";
import pg from "pg";
import { buildJetStreamWordCount, ensureResources, memberArgs, produce, type WordCountConfig } from "./jetstream-word-count.js";

const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));
const script = fileURLToPath(new URL("./jetstream-word-count.ts", import.meta.url));

// Lines i = from..to-1: 1 + i mod 4 words each, word j of line i is words[(5i + 3j) mod 8].
const words = ["spark", "stream", "node", "batch", "exactly", "once", "jet", "log"];
function expected(from: number, to: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = from; i < to; i++) for (let j = 0; j <= i % 4; j++) m.set(words[(i * 5 + j * 3) % 8]!, (m.get(words[(i * 5 + j * 3) % 8]!) ?? 0) + 1);
  return m;
}

/** The example's stream and table, made unique, and a cleanup that deletes them. */
async function exampleConfig(): Promise<{ config: WordCountConfig; db: pg.Client }> {
  const config: WordCountConfig = { servers: NATS_URL, pg: PG_URL, stream: uniqueName("dstream_example"), table: uniqueName("dstream_example"), partitions: 4 };
  const js = JetStreamClient.open([NATS_URL]);
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  cleanup(async () => {
    await js.deleteStream(config.stream);
    await js.release();
    await db.query(`DROP TABLE IF EXISTS "${config.table}"`);
    await db.query(`DELETE FROM dstream_sink_ledger WHERE target = $1`, [config.table]).catch(() => undefined);
    await db.end();
  });
  return { config, db };
}
const tempDir = tempDirs("dstream-js-example-");
const cleanup = cleanupsAfterEach();

describe.skipIf(!ready)("examples/jetstream-word-count", () => {
  it("counts the produced lines per batch into PostgreSQL and publishes running totals", async () => {
    const { config, db } = await exampleConfig();
    const js = JetStreamClient.open([NATS_URL]);
    cleanup(() => js.release());
    await ensureResources(config);
    await ensureResources(config); // a second start finds them and goes on
    await produce(config, 40);

    const clock = new ManualClock(0);
    const ssc = await StreamingContext.getOrCreate(join(await tempDir(), "cp"), () => {
      const s = new StreamingContext({ batchDuration: 1000, clock });
      buildJetStreamWordCount(s, config);
      return s;
    });
    cleanup(() => ssc.stop());
    await ssc.start();
    await clock.advance(1000);
    await produce(config, 8, 40);
    await clock.advance(1000);

    const rows = (await db.query<{ batch_time: string; word: string; count: number }>(`SELECT batch_time::text, word, count FROM "${config.table}"`)).rows;
    const batch = (t: string): Map<string, number> => new Map(rows.filter((r) => r.batch_time === t).map((r) => [r.word, r.count]));
    expect(batch("1000")).toEqual(expected(0, 40));
    expect(batch("2000")).toEqual(expected(40, 48));

    const totals = (await js.readAll(config.stream, `${config.stream}.totals`)).map((m) => JSON.parse(new TextDecoder().decode(m.data)) as { word: string; total: number });
    const last = new Map<string, number>();
    for (const t of totals) last.set(t.word, t.total);
    expect(last).toEqual(expected(0, 48));
  });

  it("--instances 2 runs the job as two members of one group, their lines prefixed; the table holds the exact counts", async () => {
    const { config, db } = await exampleConfig();
    const group = uniqueName("example");
    cleanup(() => removeGroup(group));
    await ensureResources(config);
    await produce(config, 200);
    const args = ["--import", "tsx", "--conditions=dstream-source", script, "--instances", "2", "--group", group, "--stream", config.stream, "--table", config.table, "--seconds", "6"];
    const run = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 110_000 });
    expect(run.status, run.stderr).toBe(0);
    for (const m of [0, 1]) expect(run.stdout).toMatch(new RegExp(`^\\[member ${m}\\] reading ${config.stream}\\.lines\\.\\* as a member of group ${group}`, "m"));
    const sums = (await db.query<{ word: string; n: number }>(`SELECT word, sum(count)::int AS n FROM "${config.table}" GROUP BY word`)).rows;
    expect(new Map(sums.map((r) => [r.word, r.n]))).toEqual(expected(0, 200));
  });

  it("memberArgs: a member's command line drops --instances and names the group (default wordcount)", () => {
    expect(memberArgs(["--instances", "2", "--seconds", "5"])).toEqual(["--seconds", "5", "--group", "wordcount"]);
    expect(memberArgs(["--group", "g", "--instances", "3"])).toEqual(["--group", "g"]);
  });
});
