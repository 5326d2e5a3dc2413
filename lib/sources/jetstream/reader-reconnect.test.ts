/**
 * A partition reader across a NATS restart (a server of the test's own): a restarted 2.9 server
 * keeps no ephemeral consumer, and a pull from a consumer that is gone gets no answer. A reader
 * opened before the reconnection gives up at once, without a request, instead of after the request
 * timeout (10 s); a reader opened again reads on from where the old one stopped.
 */
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach } from "../../test-support/cleanups.js";
import { freePort, natsServerInstalled, ownNatsServer } from "../../test-support/own-nats-server.js";
import { tempDirs } from "../../test-support/temp-dirs.js";
import { waitUntil } from "../../test-support/wait-until.js";
import { JetStreamClient } from "./jetstream-client.js";

const tempDir = tempDirs("dstream-reader-reconnect-");
const cleanup = cleanupsAfterEach();
const text = (ms: readonly { data: Uint8Array }[]): string[] => ms.map((m) => new TextDecoder().decode(m.data));

describe.skipIf(!natsServerInstalled)("a JetStream reader across a NATS restart", () => {
  it("gives up at once after the connection reconnected, and a new reader goes on from the last message read", async () => {
    const dir = await tempDir();
    const port = await freePort();
    let server = await ownNatsServer(dir, port);
    cleanup(() => server.stop());
    const client = JetStreamClient.open([`nats://127.0.0.1:${port}`]);
    cleanup(() => client.release());
    await client.ensureStream({ name: "RECONNECT", subjects: ["rc.>"], storage: "file" });
    for (let i = 0; i < 5; i++) await client.publish("rc.0", new TextEncoder().encode(`m${i}`));

    const reader = await client.openReader("RECONNECT", "rc.0", 0, 60_000);
    const first = await reader.pull(100);
    expect(text(first!.messages)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(first!.more).toBe(false);

    await server.stop();
    server = await ownNatsServer(dir, port);
    await waitUntil(() => client.reconnections === 1, 30_000, () => `the client did not reconnect (reconnections ${client.reconnections})`);
    for (let i = 5; i < 8; i++) await client.publish("rc.0", new TextEncoder().encode(`m${i}`));

    // Settled before the event loop turns: no request went out, so none waits on the timeout.
    const pulled = reader.pull(100);
    const settled = await Promise.race([pulled.then(() => "settled"), new Promise((r) => setImmediate(() => r("pending")))]);
    expect(settled).toBe("settled");
    expect(await pulled).toBeUndefined();
    await reader.close();

    const again = await client.openReader("RECONNECT", "rc.0", first!.messages.at(-1)!.seq, 60_000);
    cleanup(() => again.close());
    const next = await again.pull(100);
    expect(text(next!.messages)).toEqual(["m5", "m6", "m7"]);
  }, 90_000);
});
