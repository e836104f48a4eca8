/**
 * The cursor file of a queue folder (`cursors.json`): for each endpoint, the log position before which every
 * record has left its backlog (delivered, rejected or expired).
 *
 * It is written after deliveries, atomically: to a temporary file (synced unless `fsync = "never"`) that is
 * then renamed over the old one, so a crash leaves the old cursors or the new ones, never a mix. Old cursors
 * mean the records delivered since are delivered again: at-least-once.
 *
 * ```json
 * { "version": 1, "endpoints": { "name:backend": { "position": 123456, "endpoint": "backend" } } }
 * ```
 */
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";

/** The file name inside the queue folder. */
export const CURSOR_FILE = "cursors.json";

const VERSION = 1;

/** One endpoint's saved cursor. `endpoint` is the metric label, for people reading the file. */
export interface SavedCursor {
  readonly position: number;
  readonly endpoint: string;
}

/** What was found on disk: no file (a new queue, or one whose file was lost), or the cursors by key. */
export type LoadedCursors =
  | { readonly found: false; readonly problem?: string; readonly moved?: boolean }
  | { readonly found: true; readonly cursors: ReadonlyMap<string, SavedCursor> };

/**
 * Reads the cursor file of `dir`. A file that does not parse counts as missing, with the reason. A folder in
 * its place (which would stop the queue from opening, and every save) is renamed to `cursors.json.bad` and
 * counts as missing too, with `moved` set.
 */
export async function loadCursors(dir: string): Promise<LoadedCursors> {
  let text: string;
  const path = join(dir, CURSOR_FILE);
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { found: false };
    if (code !== "EISDIR") throw err;
    await rename(path, `${path}.bad`);
    return {
      found: false,
      problem: `${CURSOR_FILE} is not a file; moved it to ${CURSOR_FILE}.bad`,
      moved: true,
    };
  }
  try {
    const parsed = JSON.parse(text) as { version?: unknown; endpoints?: unknown };
    if (parsed.version !== VERSION || typeof parsed.endpoints !== "object" || parsed.endpoints === null) {
      return { found: false, problem: `${CURSOR_FILE} has an unknown layout` };
    }
    const cursors = new Map<string, SavedCursor>();
    for (const [key, value] of Object.entries(parsed.endpoints as Record<string, unknown>)) {
      const v = value as { position?: unknown; endpoint?: unknown };
      if (typeof v.position !== "number" || !Number.isSafeInteger(v.position) || v.position < 0) continue;
      cursors.set(key, { position: v.position, endpoint: typeof v.endpoint === "string" ? v.endpoint : "" });
    }
    return { found: true, cursors };
  } catch (err) {
    return { found: false, problem: `${CURSOR_FILE} does not parse: ${(err as Error).message}` };
  }
}

/** Replaces the cursor file of `dir` atomically; `sync` makes the new file durable before the rename. */
export async function saveCursors(
  dir: string,
  cursors: ReadonlyMap<string, SavedCursor>,
  sync: boolean,
): Promise<void> {
  const endpoints: Record<string, SavedCursor> = {};
  for (const [key, c] of cursors) endpoints[key] = { position: c.position, endpoint: c.endpoint };
  const text = `${JSON.stringify({ version: VERSION, endpoints }, null, 2)}\n`;
  const target = join(dir, CURSOR_FILE);
  const tmp = `${target}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(text, "utf8");
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, target);
}
