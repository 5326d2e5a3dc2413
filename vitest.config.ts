import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Examples import the package by name, as a user would; tests run them from source.
    alias: [{ find: /^dstream$/, replacement: fileURLToPath(new URL("./index.ts", import.meta.url)) }],
  },
  test: {
    // *.serial.test.ts disturb shared services (restart a broker): `npm test` runs them alone,
    // after the rest (DSTREAM_SERIAL=1 vitest run), so no other test of the run sees the outage.
    include: process.env.DSTREAM_SERIAL === "1" ? ["**/*.serial.test.ts"] : ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", ...(process.env.DSTREAM_SERIAL === "1" ? [] : ["**/*.serial.test.ts"])],
    // Deadlines for a busy 2-core machine; tests wait on conditions, never on these.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Each run gets its own TMPDIR and fails if a test leaves anything in it.
    globalSetup: ["./lib/test-support/temp-root.ts"],
    reporters: ["default", "./lib/test-support/summary-reporter.ts"],
  },
});
