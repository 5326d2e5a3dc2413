#!/usr/bin/env node
// The `dstream` command. In a clone of the repository it runs the TypeScript source through tsx
// (a devDependency); an installed package runs the compiled dist/bin/cli.js.
import { existsSync } from "node:fs";

const source = new URL("./cli.ts", import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(source.href);
} else {
  cli = await import("../dist/bin/cli.js");
}
process.exitCode = await cli.main(process.argv.slice(2));
