/**
 * The web UI's static bundle (built from `ui/` into `dist/ui/` at install time by `npm run build:ui`), read
 * into memory once and served without any network: `index.html` for every page route, with a `<base>` that
 * makes the bundle work behind `--server.http.ui-path-prefix`, and the hashed-free assets it loads.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A file of the bundle. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The loaded bundle. */
export interface UiBundle {
  /** `index.html` with its `<base href>` set to the prefix. */
  readonly index: Buffer;
  /** Files under `assets/`, by name. */
  readonly assets: ReadonlyMap<string, Asset>;
}

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/** Where the bundle is: `dist/ui` next to `dist/server` (built), or from `src/server` (run from source). */
export function bundleDir(): string | undefined {
  for (const candidate of ["../ui/", "../../dist/ui/"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return undefined;
}

/**
 * The built UI for the agent server at `prefix`, or undefined (with a warning) when it was not built: the UI
 * pages then say so.
 */
export function loadUiBundle(prefix: string, logger: { warn(msg: string): void }): UiBundle | undefined {
  const dir = bundleDir();
  if (dir !== undefined) return loadBundle(dir, prefix);
  logger.warn("the web UI bundle is not built (npm run build:ui): the UI pages will say so");
  return undefined;
}

/** Reads the bundle from `dir` for a UI served under `prefix` (starting and ending with `/`). */
export function loadBundle(dir: string, prefix: string): UiBundle {
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const base = `<base href="${escapeAttribute(prefix)}">`;
  const index = Buffer.from(html.replace("<head>", `<head>\n    ${base}`));
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, "assets");
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      assets.set(name, {
        body: readFileSync(join(assetDir, name)),
        contentType: TYPES[extname(name)] ?? "application/octet-stream",
      });
    }
  }
  return { index, assets };
}

/** `--server.http.ui-path-prefix` as a path that starts and ends with `/`. */
export function normalizePrefix(prefix: string): string {
  let p = prefix.trim();
  if (!p.startsWith("/")) p = `/${p}`;
  if (!p.endsWith("/")) p = `${p}/`;
  return p;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
