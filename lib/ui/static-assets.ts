import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** One file the page needs, read once at start and served from memory. */
export interface Asset {
  contentType: string;
  body: Buffer;
}

const require = createRequire(import.meta.url);

/**
 * The page and its scripts, by URL path. uPlot comes from its npm package (no CDN: the UI works
 * offline); the page's own files sit in `static/` beside this module (copied into dist by `build`).
 */
export function loadAssets(): Map<string, Asset> {
  const own = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`./static/${name}`, import.meta.url)));
  const dep = (path: string): Buffer => readFileSync(require.resolve(path));
  return new Map<string, Asset>([
    ["/", { contentType: "text/html; charset=utf-8", body: own("index.html") }],
    ["/static/app.js", { contentType: "text/javascript; charset=utf-8", body: own("app.js") }],
    ["/static/charts.js", { contentType: "text/javascript; charset=utf-8", body: own("charts.js") }],
    ["/static/dom.js", { contentType: "text/javascript; charset=utf-8", body: own("dom.js") }],
    ["/static/batch-page.js", { contentType: "text/javascript; charset=utf-8", body: own("batch-page.js") }],
    ["/static/group-panel.js", { contentType: "text/javascript; charset=utf-8", body: own("group-panel.js") }],
    ["/static/app.css", { contentType: "text/css; charset=utf-8", body: own("app.css") }],
    ["/static/uplot.js", { contentType: "text/javascript; charset=utf-8", body: dep("uplot/dist/uPlot.iife.min.js") }],
    ["/static/uplot.css", { contentType: "text/css; charset=utf-8", body: dep("uplot/dist/uPlot.min.css") }],
  ]);
}

/** The package's version (for /api/v1/applications), from the nearest package.json named dstream. */
export function packageVersion(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === "dstream" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not at this level (source vs dist layout): try the next.
    }
  }
  return "unknown";
}
