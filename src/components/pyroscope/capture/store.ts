/**
 * The capture store: writes captures atomically, keeps an index of what is on disk (rebuilt from file names at
 * start-up), and enforces `retention` (age) and `max_size` (total bytes) by removing the oldest captures.
 *
 * Atomicity: every file is written to a temporary name (fsynced), then renamed; data files first, the sidecar
 * last. A capture is visible, to people and to `ls`/`replay`, only once its sidecar exists, so a crash leaves
 * either nothing or a temporary file or a data file without a sidecar; the start-up scan deletes both. Removal
 * deletes the sidecar first for the same reason.
 *
 * Room is made *before* a write (the write's size is reserved), so the store never grows past `max_size` by
 * more than what concurrent writers have reserved; a single profile larger than `max_size` is refused.
 *
 * Several worker processes (`run --workers=N`) write one store at once, each through its own `CaptureStore`:
 * file names never collide (random IDs, tagged with the worker, and unique temporary names), and each worker
 * indexes, limits and cleans up only the captures it owns: its own (by the ID's worker tag), plus those of
 * workers a higher count left (`j >= N` with `j mod N == i`, as the queue adopts shards). A worker's scan thus
 * never deletes another live worker's write in progress, and each enforces its share of `max_size` (the
 * component divides it), so the store as a whole stays within what was configured.
 */
import { readdir, rename, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { SINGLE_PROCESS, type WorkerSlot } from "../../../runtime/component.ts";
import { makeDir } from "../make-dir.ts";
import type { CaptureDraft } from "./draft.ts";
import {
  type CaptureFileRecord,
  type CaptureRecord,
  captureIdOf,
  HOUR_DIR_PATTERN,
  hourDirName,
  isTempName,
  newCaptureId,
  SIDECAR_PATTERN,
  SIDECAR_VERSION,
  sanitizeSegment,
  tempName,
  tempTarget,
  timeOfId,
  workerOfId,
} from "./layout.ts";
import type { CaptureMetrics, RemovalReason } from "./metrics.ts";

/** The limits retention enforces. */
export interface StoreLimits {
  /** Largest total size of the store in bytes. */
  readonly maxSize: number;
  /** Under `run --workers`: `maxSize` as this worker's share of the configured `max_size`, for errors. */
  readonly maxSizeShare?: string | undefined;
  /** Captures older than this (milliseconds) are removed. */
  readonly retentionMs: number;
}

/** What the store needs from its owner; everything is optional for tests and tools. */
export interface StoreOptions {
  readonly logger?: Logger | undefined;
  readonly metrics?: CaptureMetrics | undefined;
  /** The clock (ms since the epoch). */
  readonly now?: (() => number) | undefined;
  /** Which worker of `run --workers` writes through this store (one process by default). */
  readonly worker?: WorkerSlot | undefined;
}

/** A write that failed; `httpStatus` is 507 when the disk (or `max_size`) has no room, else 500. */
export class StoreError extends Error {
  readonly httpStatus: number;

  constructor(message: string, httpStatus: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.httpStatus = httpStatus;
  }
}

interface Entry {
  readonly id: string;
  readonly dir: string;
  /** Every file of the capture, the sidecar included. */
  readonly files: readonly string[];
  readonly bytes: number;
  /** Receive time, ms since the epoch. */
  readonly time: number;
}

/** File system errors that mean "no room". */
const NO_SPACE = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

/** How often a write retries when its folder vanished under it (retention removed an empty folder). */
const WRITE_ATTEMPTS = 3;

/** One capture store rooted at a folder. Call `close()` when done; it waits for pending file work. */
export class CaptureStore {
  readonly root: string;
  #limits: StoreLimits;
  readonly #logger: Logger | undefined;
  readonly #metrics: CaptureMetrics | undefined;
  readonly #now: () => number;
  readonly #worker: WorkerSlot;
  /** Sorted by receive time, oldest first. */
  #entries: Entry[] = [];
  #bytes = 0;
  /** Bytes reserved by writes in progress. */
  #pending = 0;
  readonly #ready: Promise<void>;
  #scanError: unknown;
  readonly #work = new Set<Promise<unknown>>();

  constructor(root: string, limits: StoreLimits, options: StoreOptions = {}) {
    this.root = root;
    this.#limits = limits;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#now = options.now ?? Date.now;
    this.#worker = options.worker ?? SINGLE_PROCESS;
    this.#ready = this.#track(this.#scan());
  }

  /** Resolves once the start-up scan is done (even when it failed: writes then fail with its error). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Why the store could not be opened (writes fail with it), once `ready()` resolved; undefined when it opened. */
  get openError(): string | undefined {
    return this.#scanError === undefined ? undefined : errorText(this.#scanError);
  }

  /** Total bytes of the captures on disk (data files and sidecars). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of captures on disk. */
  get count(): number {
    return this.#entries.length;
  }

  /** Applies new limits; retention runs at once. */
  setLimits(limits: StoreLimits): void {
    this.#limits = limits;
    this.#enforceNow(0);
  }

  /** Removes what is past `retention` or over `max_size`, and waits for the removals. */
  async enforce(): Promise<void> {
    await this.#ready;
    this.#enforceNow(0);
    await this.#settle();
  }

  /** Writes one capture; resolves to its sidecar. Throws `StoreError`. */
  async write(draft: CaptureDraft): Promise<CaptureRecord> {
    await this.#ready;
    if (this.#scanError !== undefined) {
      throw new StoreError(`capture store ${this.root} is not usable: ${errorText(this.#scanError)}`, 500, {
        cause: this.#scanError,
      });
    }
    const now = this.#now();
    const date = new Date(now);
    const id = newCaptureId(date, draft.profileType, this.#worker.index);
    const dir = join(this.root, sanitizeSegment(draft.serviceName, "unknown_service"), hourDirName(date));
    const files: CaptureFileRecord[] = draft.files.map((f) => ({
      name: `${id}${f.suffix}`,
      size: f.bytes.byteLength,
      part: f.part,
      gzipped_on_capture: f.gzippedOnCapture,
    }));
    const record: CaptureRecord = {
      version: SIDECAR_VERSION,
      id,
      route: draft.route,
      received_at: date.toISOString(),
      service_name: draft.serviceName,
      profile_type: draft.profileType,
      format: draft.format,
      labels: draft.labels.toRecord(),
      sample_id: draft.sampleId,
      path: draft.path,
      query: draft.query,
      content_type: draft.contentType,
      headers: draft.headers,
      original_size: draft.originalSize,
      files,
      multipart_glue: draft.glue?.map((g) => Buffer.from(g).toString("base64")),
    };
    const sidecar = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    const toWrite = [
      ...draft.files.map((f, i) => ({ name: files[i]!.name, bytes: f.bytes })),
      { name: `${id}.json`, bytes: sidecar },
    ];
    const total = toWrite.reduce((sum, f) => sum + f.bytes.byteLength, 0);
    if (total > this.#limits.maxSize) {
      const limit = this.#limits.maxSizeShare ?? `max_size (${this.#limits.maxSize} bytes)`;
      throw new StoreError(`profile needs ${total} bytes on disk, more than ${limit}`, 507);
    }
    this.#pending += total;
    try {
      this.#enforceNow(0);
      await this.#writeFiles(dir, toWrite);
    } finally {
      this.#pending -= total;
    }
    this.#insert({ id, dir, files: toWrite.map((f) => f.name), bytes: total, time: now });
    return record;
  }

  /** Waits for pending writes and removals. The store must not be used afterwards. */
  async close(): Promise<void> {
    await this.#settle();
  }

  async #settle(): Promise<void> {
    while (this.#work.size > 0) {
      await Promise.allSettled([...this.#work]);
    }
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#work.add(p);
    const done = (): void => {
      this.#work.delete(p);
    };
    p.then(done, done);
    return p;
  }

  async #writeFiles(dir: string, files: readonly { name: string; bytes: Uint8Array }[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const written: string[] = [];
      try {
        await makeDir(dir);
        for (const f of files) {
          const tmp = join(dir, tempName(f.name));
          try {
            await writeFile(tmp, f.bytes, { flag: "wx", flush: true });
            await rename(tmp, join(dir, f.name));
          } catch (err) {
            await unlink(tmp).catch(() => {});
            throw err;
          }
          written.push(f.name);
        }
        return;
      } catch (err) {
        for (const name of written) await unlink(join(dir, name)).catch(() => {});
        if (codeOf(err) === "ENOENT" && attempt < WRITE_ATTEMPTS) continue;
        const code = codeOf(err);
        throw new StoreError(
          `writing a capture in ${dir}: ${errorText(err)}`,
          code !== undefined && NO_SPACE.has(code) ? 507 : 500,
          { cause: err },
        );
      }
    }
  }

  #insert(entry: Entry): void {
    let i = this.#entries.length;
    while (i > 0 && this.#entries[i - 1]!.time > entry.time) i--;
    this.#entries.splice(i, 0, entry);
    this.#bytes += entry.bytes;
    this.#updateGauges();
  }

  /** Removes expired captures, then the oldest until `max_size` has room for `reserved` more bytes. */
  #enforceNow(reserved: number): void {
    const cutoff = this.#now() - this.#limits.retentionMs;
    while (this.#entries.length > 0 && this.#entries[0]!.time < cutoff) {
      this.#remove(this.#entries.shift()!, "retention");
    }
    while (this.#entries.length > 0 && this.#bytes + this.#pending + reserved > this.#limits.maxSize) {
      this.#remove(this.#entries.shift()!, "max_size");
    }
  }

  #remove(entry: Entry, reason: RemovalReason): void {
    this.#bytes -= entry.bytes;
    this.#metrics?.removedProfiles.inc({ reason });
    this.#metrics?.removedBytes.inc({ reason }, entry.bytes);
    this.#updateGauges();
    void this.#track(this.#deleteFiles(entry));
  }

  async #deleteFiles(entry: Entry): Promise<void> {
    // The sidecar first: once it is gone the capture is invisible, even if the rest fails.
    const sidecar = `${entry.id}.json`;
    const ordered = [sidecar, ...entry.files.filter((f) => f !== sidecar)];
    for (const name of ordered) {
      try {
        await unlink(join(entry.dir, name));
      } catch (err) {
        if (codeOf(err) !== "ENOENT") {
          this.#logger?.warn(
            { err: errorText(err), file: join(entry.dir, name) },
            "removing a captured file",
          );
        }
      }
    }
    await removeIfEmpty(entry.dir);
    await removeIfEmpty(dirname(entry.dir));
  }

  #updateGauges(): void {
    this.#metrics?.storeBytes.set(this.#bytes);
    this.#metrics?.storeProfiles.set(this.#entries.length);
  }

  /** Rebuilds the index from the folder, deleting what a crash left behind. */
  async #scan(): Promise<void> {
    try {
      await makeDir(this.root);
      const found: Entry[] = [];
      let leftovers = 0;
      for (const service of await readdir(this.root, { withFileTypes: true })) {
        if (!service.isDirectory()) continue;
        const serviceDir = join(this.root, service.name);
        for (const hour of await readdir(serviceDir, { withFileTypes: true })) {
          if (!hour.isDirectory() || !HOUR_DIR_PATTERN.test(hour.name)) continue;
          const hourDir = join(serviceDir, hour.name);
          const result = await scanHour(hourDir, (id) => owns(this.#worker, id));
          found.push(...result.entries);
          leftovers += result.removed;
          if (result.entries.length === 0) await removeIfEmpty(hourDir);
        }
        await removeIfEmpty(serviceDir);
      }
      found.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
      this.#entries = found;
      this.#bytes = found.reduce((sum, e) => sum + e.bytes, 0);
      this.#updateGauges();
      this.#logger?.info(
        { path: this.root, profiles: found.length, bytes: this.#bytes, removed_leftovers: leftovers },
        "capture store opened",
      );
      this.#enforceNow(0);
    } catch (err) {
      this.#scanError = err;
      this.#logger?.error({ path: this.root, err: errorText(err) }, "cannot open the capture store");
    }
  }
}

/**
 * Whether worker `slot` owns the capture `id`: its own, or one of a worker `j >= count` that a higher worker
 * count left, with `j mod count == index`. With one process, every capture.
 */
function owns(slot: WorkerSlot, id: string): boolean {
  const w = workerOfId(id);
  return w === slot.index || (w >= slot.count && w % slot.count === slot.index);
}

/**
 * Indexes the captures of one hour folder that `mine` accepts (those with a sidecar); their temporary files
 * and sidecar-less data files (a crash mid-write) are deleted.
 */
async function scanHour(
  dir: string,
  mine: (id: string) => boolean,
): Promise<{ entries: Entry[]; removed: number }> {
  const names = await readdir(dir);
  const sidecars = new Set(
    names.filter((n) => SIDECAR_PATTERN.test(n)).map((n) => n.slice(0, -".json".length)),
  );
  const byId = new Map<string, string[]>();
  let removed = 0;
  for (const name of names) {
    const id = captureIdOf(isTempName(name) ? tempTarget(name) : name);
    if (id !== undefined && !mine(id)) continue;
    if (isTempName(name) || (id !== undefined && !sidecars.has(id))) {
      await unlink(join(dir, name)).catch(() => {});
      removed++;
      continue;
    }
    if (id === undefined) continue;
    const list = byId.get(id) ?? [];
    list.push(name);
    byId.set(id, list);
  }
  const entries: Entry[] = [];
  for (const [id, files] of byId) {
    let bytes = 0;
    for (const f of files) {
      bytes += await stat(join(dir, f)).then(
        (s) => s.size,
        () => 0,
      );
    }
    entries.push({ id, dir, files, bytes, time: timeOfId(id) ?? 0 });
  }
  return { entries, removed };
}

async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => {});
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
