/**
 * Reading a capture store from outside the component (`profile-relay ls` and `replay`): every visible capture
 * (one with a readable sidecar) in receive-time order, and a capture's bytes exactly as they arrived.
 *
 * Reading is safe while a relay writes to the same folder: temporary files are never looked at, and a capture
 * removed by retention in the meantime shows up as a missing file (`ENOENT`), which callers may skip.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type CaptureRecord, HOUR_DIR_PATTERN, parseSidecar, SIDECAR_PATTERN, timeOfId } from "./layout.ts";
import { joinMultipart } from "./multipart.ts";

/** One visible capture. */
export interface CatalogEntry {
  /** The folder holding its files. */
  readonly dir: string;
  readonly record: CaptureRecord;
  /** Receive time, ms since the epoch. */
  readonly time: number;
  /** Bytes on disk: data files and sidecar. */
  readonly bytes: number;
}

/** A sidecar that could not be read. */
export interface CatalogProblem {
  readonly file: string;
  readonly message: string;
}

/** The result of listing a store. */
export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  readonly problems: readonly CatalogProblem[];
}

/** Lists the captures under `root`, oldest first. Throws when `root` cannot be read. */
export async function listCaptures(root: string): Promise<Catalog> {
  const entries: CatalogEntry[] = [];
  const problems: CatalogProblem[] = [];
  for (const service of await readdir(root, { withFileTypes: true })) {
    if (!service.isDirectory()) continue;
    const serviceDir = join(root, service.name);
    for (const hour of await readdirOrEmpty(serviceDir)) {
      if (!hour.isDirectory() || !HOUR_DIR_PATTERN.test(hour.name)) continue;
      const dir = join(serviceDir, hour.name);
      for (const file of await readdirOrEmpty(dir)) {
        if (!file.isFile() || !SIDECAR_PATTERN.test(file.name)) continue;
        const path = join(dir, file.name);
        let text: string;
        try {
          text = await readFile(path, "utf8");
        } catch (err) {
          if (codeOf(err) !== "ENOENT") problems.push({ file: path, message: errorText(err) });
          continue;
        }
        try {
          const record = parseSidecar(text);
          const time = Date.parse(record.received_at);
          entries.push({
            dir,
            record,
            time: Number.isNaN(time) ? (timeOfId(record.id) ?? 0) : time,
            bytes: Buffer.byteLength(text) + record.files.reduce((sum, f) => sum + (f.size ?? 0), 0),
          });
        } catch (err) {
          problems.push({ file: path, message: errorText(err) });
        }
      }
    }
  }
  entries.sort((a, b) => a.time - b.time || (a.record.id < b.record.id ? -1 : 1));
  return { entries, problems };
}

/** A capture's content as it arrived: one piece per data file, plus the multipart glue when it was split. */
export interface LoadedCapture {
  /** Each data file's bytes as received (gunzipped again when capture gzipped them). */
  readonly pieces: readonly Uint8Array[];
  readonly glue: readonly Uint8Array[] | undefined;
}

/** Reads a capture's files. Throws (`ENOENT` when retention removed it meanwhile). */
export async function loadCapture(entry: CatalogEntry): Promise<LoadedCapture> {
  const pieces: Uint8Array[] = [];
  for (const f of entry.record.files) {
    const bytes = await readFile(join(entry.dir, f.name));
    pieces.push(f.gzipped_on_capture === true ? gunzipSync(bytes) : bytes);
  }
  const glue = entry.record.multipart_glue?.map((g) => Buffer.from(g, "base64"));
  if (glue === undefined && pieces.length !== 1) {
    throw new Error(`capture ${entry.record.id} has ${pieces.length} files but no multipart layout`);
  }
  return { pieces, glue };
}

/** The bytes as they arrived: the raw sample (push) or the request body (ingest). */
export function assemble(loaded: LoadedCapture): Uint8Array {
  return loaded.glue === undefined ? loaded.pieces[0]! : joinMultipart(loaded.pieces, loaded.glue);
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** The `code` of a Node.js system error. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
