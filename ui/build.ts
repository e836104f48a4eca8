/**
 * Builds the web UI (`ui/src`) into `dist/ui/`: `index.html` and `assets/app.js` + `assets/app.css`, one
 * esbuild bundle with React, the graph and flamegraph libraries and their styles. Runs at install time
 * (`npm ci` → `prepare`) from `node_modules` only, without network; the output does not depend on the time
 * or the machine (no hashes, no timestamps, no source maps).
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("./", import.meta.url));
const out = fileURLToPath(new URL("../dist/ui/", import.meta.url));

rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}assets`, { recursive: true });
await build({
  entryPoints: { app: `${root}src/main.tsx` },
  outdir: `${out}assets`,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "none",
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
cpSync(`${root}index.html`, `${out}index.html`);
