// Builds dist/ from the TypeScript sources: `npm run build`, and `prepare`, which npm runs after
// `npm ci`/`npm install` in a clone, before `npm pack`, and when a project installs dstream from a
// git URL or a path. Plain JavaScript: it must run before anything is compiled.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

if (!existsSync(tsc)) {
  // A path install links a clone whose dependencies were never installed: say what to do.
  if (existsSync(dist)) {
    console.error(`dstream: TypeScript is not installed in ${root}; keeping the dist/ already built there`);
    process.exit(0);
  }
  console.error(
    `dstream: cannot build dist/: TypeScript is not installed in ${root}.\n` +
      `Run "npm ci" in that directory first (it installs the build tools and builds dist/), or install\n` +
      `dstream from a git URL or from a tarball made there with "npm pack".`,
  );
  process.exit(1);
}
rmSync(fileURLToPath(new URL("../dist", import.meta.url)), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
// The live UI's page and scripts are served from files next to the compiled code.
cpSync(fileURLToPath(new URL("../lib/ui/static", import.meta.url)), fileURLToPath(new URL("../dist/lib/ui/static", import.meta.url)), { recursive: true });
