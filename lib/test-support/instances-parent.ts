// A launcher for the signal test of lib/group/instances.test.ts: starts `instances` members of
// member-echo.ts in `wait` mode and prints `exits <json>` once all have ended.
import { fileURLToPath } from "node:url";
import { runInstances } from "../group/instances.js";

const exits = await runInstances({
  script: fileURLToPath(new URL("./member-echo.ts", import.meta.url)),
  args: ["wait"],
  instances: Number(process.argv[2] ?? 2),
});
process.stdout.write(`exits ${JSON.stringify(exits)}\n`);
