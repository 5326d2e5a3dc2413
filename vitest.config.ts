import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Examples import the package by name, as a user would; tests run them from source.
    alias: [{ find: /^dstream$/, replacement: fileURLToPath(new URL("./index.ts", import.meta.url)) }],
  },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default", "./lib/test-support/summary-reporter.ts"],
  },
});
