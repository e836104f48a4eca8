/**
 * The dead-letter folder of a queue (`<queue path>/dead-letter/`): items an endpoint refused for good (a 4xx
 * other than 408/429, or a 429 with `retry_on_http_429 = false`), kept for people to inspect.
 *
 * Each entry is `<ms since the epoch>-<item id>-<endpoint hash>.json` (why, when, which endpoint, the labels or
 * query; header names only, never their values, which may be credentials) plus the profile bytes as they were
 * received: `.body` for an ingest, `.<n>.sample` for each sample of a push. The folder is bounded: past
 * `DEAD_LETTER_MAX_ENTRIES` entries or `DEAD_LETTER_MAX_BYTES` bytes the oldest entries are removed. Entries
 * are not synced to disk: they are for inspection, not delivery.
 */
import { createHash } from "node:crypto";
import { readdir, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDir } from "../../make-dir.ts";
import type { QueueItem } from "./item.ts";

/** Most entries the folder keeps. */
export const DEAD_LETTER_MAX_ENTRIES = 100;

/** Most bytes the folder keeps. */
export const DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;

/** The folder name inside the queue folder. */
export const DEAD_LETTER_DIR = "dead-letter";

/** Why an item was refused. */
export interface DeadLetterReason {
  /** The endpoint's metric label. */
  readonly endpoint: string;
  /** The endpoint's HTTP status, when it answered. */
  readonly status?: number | undefined;
  /** The error as logged. */
  readonly error: string;
}

interface Entry {
  readonly stem: string;
  readonly files: string[];
  bytes: number;
}

/** A bounded dead-letter folder. */
export class DeadLetters {
  readonly dir: string;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #entries: Entry[] | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string, limits: { maxEntries?: number; maxBytes?: number } = {}) {
    this.dir = dir;
    this.#maxEntries = limits.maxEntries ?? DEAD_LETTER_MAX_ENTRIES;
    this.#maxBytes = limits.maxBytes ?? DEAD_LETTER_MAX_BYTES;
  }

  /** Stores an entry, then trims the folder. Resolves false when it could not be written. */
  add(item: QueueItem, reason: DeadLetterReason, now: number = Date.now()): Promise<boolean> {
    const next = this.#chain.then(() => this.#add(item, reason, now));
    this.#chain = next.catch(() => {});
    return next.catch(() => false);
  }

  async #add(item: QueueItem, reason: DeadLetterReason, now: number): Promise<boolean> {
    const entries = await this.#load();
    const hash = createHash("sha256").update(reason.endpoint).digest("hex").slice(0, 8);
    const stem = `${String(now).padStart(13, "0")}-${safe(item.id)}-${hash}`;
    const bodies: [string, Uint8Array][] =
      item.kind === "ingest"
        ? [[`${stem}.body`, item.body]]
        : item.samples.map((s, i) => [`${stem}.${i}.sample`, s.rawProfile]);
    let bodyBytes = 0;
    for (const [, b] of bodies) bodyBytes += b.byteLength;
    const keepBodies = bodyBytes <= this.#maxBytes;
    const meta = {
      id: item.id,
      kind: item.kind,
      receivedAt: new Date(item.receivedAt).toISOString(),
      deadLetteredAt: new Date(now).toISOString(),
      endpoint: reason.endpoint,
      status: reason.status,
      error: reason.error,
      headerNames: item.headers.map(([name]) => name),
      ...(item.kind === "push"
        ? {
            labels: Object.fromEntries(item.labels.map((l) => [l.name, l.value])),
            samples: item.samples.map((s, i) => ({
              id: s.id,
              bytes: s.rawProfile.byteLength,
              file: keepBodies ? `${stem}.${i}.sample` : undefined,
            })),
          }
        : {
            path: item.path,
            query: item.query,
            contentType: item.contentType,
            body: { bytes: item.body.byteLength, file: keepBodies ? `${stem}.body` : undefined },
          }),
      note: keepBodies ? undefined : "the profile bytes were not kept: larger than the folder's limit",
    };
    const json = Buffer.from(`${JSON.stringify(meta, null, 2)}\n`);
    await makeDir(this.dir);
    const entry: Entry = { stem, files: [`${stem}.json`], bytes: json.length };
    if (keepBodies) {
      for (const [name, bytes] of bodies) {
        await writeFile(join(this.dir, name), bytes);
        entry.files.push(name);
        entry.bytes += bytes.byteLength;
      }
    }
    await writeFile(join(this.dir, `${stem}.json`), json);
    entries.push(entry);
    await this.#trim(entries);
    return true;
  }

  async #trim(entries: Entry[]): Promise<void> {
    let total = 0;
    for (const e of entries) total += e.bytes;
    while (entries.length > 1 && (entries.length > this.#maxEntries || total > this.#maxBytes)) {
      const oldest = entries.shift()!;
      total -= oldest.bytes;
      // The JSON first: an entry without it is no longer listed.
      for (const f of [...oldest.files].sort(
        (a, b) => Number(b.endsWith(".json")) - Number(a.endsWith(".json")),
      )) {
        await unlink(join(this.dir, f)).catch(() => {});
      }
    }
  }

  /** The entries on disk, oldest first (read once, then kept up to date). */
  async #load(): Promise<Entry[]> {
    if (this.#entries !== undefined) return this.#entries;
    const byStem = new Map<string, Entry>();
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    for (const name of names) {
      const stem = /^(\d{13}-[^.]+)\./.exec(name)?.[1];
      if (stem === undefined) continue;
      const size = await stat(join(this.dir, name)).then(
        (s) => s.size,
        () => 0,
      );
      const e = byStem.get(stem) ?? { stem, files: [], bytes: 0 };
      e.files.push(name);
      e.bytes += size;
      byStem.set(stem, e);
    }
    this.#entries = [...byStem.values()].sort((a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0));
    return this.#entries;
  }
}

function safe(id: string): string {
  const s = id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return s === "" ? "item" : s;
}
