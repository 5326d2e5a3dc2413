import { join } from "node:path";
import { ManualClock, StreamingContext } from "dstream";
import { describe, expect, it } from "vitest";
import { JetStreamClient } from "../lib/sources/jetstream/jetstream-client.js";
import { NATS_URL, uniqueName } from "../lib/test-support/jetstream-fixture.js";
import { PG_URL } from "../lib/test-support/postgres-fixture.js";
import { serviceAvailable } from "../lib/test-support/services.js";
import { tempDirs } from "../lib/test-support/temp-dirs.js";
import { cleanupsAfterEach } from "../lib/test-support/cleanups.js";
import pg from "pg";
import { buildJetStreamWordCount, ensureResources, produce, type WordCountConfig } from "./jetstream-word-count.js";

const ready = (await serviceAvailable("nats")) && (await serviceAvailable("postgres"));
const tempDir = tempDirs("dstream-js-example-");
const cleanup = cleanupsAfterEach();

describe.skipIf(!ready)("examples/jetstream-word-count", () => {
  it("counts the produced lines per batch into PostgreSQL and publishes running totals", async () => {
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

    // Lines i = 0..47: 1 + i mod 4 words each, word j of line i is words[(5i + 3j) mod 8].
    const words = ["spark", "stream", "node", "batch", "exactly", "once", "jet", "log"];
    const expected = (from: number, to: number): Map<string, number> => {
      const m = new Map<string, number>();
      for (let i = from; i < to; i++) for (let j = 0; j <= i % 4; j++) m.set(words[(i * 5 + j * 3) % 8]!, (m.get(words[(i * 5 + j * 3) % 8]!) ?? 0) + 1);
      return m;
    };
    const rows = (await db.query<{ batch_time: string; word: string; count: number }>(`SELECT batch_time::text, word, count FROM "${config.table}"`)).rows;
    const batch = (t: string): Map<string, number> => new Map(rows.filter((r) => r.batch_time === t).map((r) => [r.word, r.count]));
    expect(batch("1000")).toEqual(expected(0, 40));
    expect(batch("2000")).toEqual(expected(40, 48));

    const totals = (await js.readAll(config.stream, `${config.stream}.totals`)).map((m) => JSON.parse(new TextDecoder().decode(m.data)) as { word: string; total: number });
    const last = new Map<string, number>();
    for (const t of totals) last.set(t.word, t.total);
    expect(last).toEqual(expected(0, 48));
  });
});
