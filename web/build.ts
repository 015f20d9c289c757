/**
 * `npm run build`: bundles the web app (web/src, TypeScript with viem) with esbuild into
 * web/dist (git-ignored), which the orchestrator serves at `/`. No CDN, no remote font: the
 * bundle and its stylesheet are all the page loads.
 *
 *   npm run build [-- --watch]
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const watch = process.argv.includes("--watch");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });
copyFileSync(join(here, "index.html"), join(dist, "index.html"));

const options: esbuild.BuildOptions = {
  entryPoints: { app: join(here, "src", "main.ts") },
  outdir: join(dist, "assets"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: !watch,
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log("web: watching web/src");
} else {
  const t0 = performance.now();
  const r = await esbuild.build(options);
  const bytes = Object.entries(r.metafile!.outputs)
    .filter(([f]) => !f.endsWith(".map"))
    .map(([f, o]) => `${f.split("/").pop()} ${(o.bytes / 1024).toFixed(0)} KiB`)
    .join(", ");
  console.log(`web: built web/dist (${bytes}) in ${Math.round(performance.now() - t0)} ms`);
}
