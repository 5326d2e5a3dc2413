import { JetStreamClient } from "./lib/sources/jetstream/jetstream-client.js";
import { connect } from "nats";
const c = JetStreamClient.open(["nats://127.0.0.1:4222"]);
const name = `grpub_${process.pid}`;
await c.ensureStream({ name, subjects: [`${name}.>`], duplicateWindowMs: 120000 });
const enc = new TextEncoder();
const N = 20000;
for (const withId of [true, false]) {
  const msgs = Array.from({ length: N }, (_, i) => ({ data: enc.encode(`I am a dummy source ${i % 10}`), ...(withId ? { msgId: `x${withId}${i}` } : {}) }));
  const t0 = performance.now();
  for (let at = 0; at < N; at += 1000) await c.publishMany(`${name}.a.${(at / 1000) % 4}`, msgs.slice(at, at + 1000));
  console.log("publishMany", withId ? "ids" : "no ids", Math.round(N / ((performance.now() - t0) / 1000)), "/s");
}
// raw nats: core publish then flush; and js.publish all at once
const nc = await connect({ servers: "nats://127.0.0.1:4222" });
const js = nc.jetstream();
let t0 = performance.now();
await Promise.all(Array.from({ length: N }, (_, i) => js.publish(`${name}.b.0`, enc.encode(`I am ${i}`))));
console.log("js.publish all at once", Math.round(N / ((performance.now() - t0) / 1000)), "/s");
t0 = performance.now();
for (let i = 0; i < N; i++) nc.publish(`${name}.c.0`, enc.encode(`I am ${i}`));
await nc.flush();
const info = await (await nc.jetstreamManager()).streams.info(name);
console.log("core publish (no ack) + flush", Math.round(N / ((performance.now() - t0) / 1000)), "/s", info.state.messages);
await nc.close();
await c.deleteStream(name);
await c.release();
