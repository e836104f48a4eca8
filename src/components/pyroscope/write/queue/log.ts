/**
 * The queue's append-only log: numbered segment files in one folder, a single writer with group commit, and
 * positional reads.
 *
 * A position is a byte offset in the whole log; segment `N.seg` holds positions `[N, N + size)`. Appends that
 * arrive while a write is in progress are gathered into the next batch: one `writev` and, with
 * `fsync = "always"`, one `fdatasync` for the whole batch, and only then are the appends acknowledged. With
 * `"interval"` the active segment is synced every `FSYNC_INTERVAL_MS`; with `"never"` the OS decides. Every
 * file operation is asynchronous; the only work on the event loop is framing (a small header and a CRC).
 *
 * Write-side operations (batches, periodic syncs, rotation, close) run one at a time in order. A failed write
 * is cut off again (the segment is truncated to where it was) and the writer moves to a new segment, so a
 * failure never leaves a half record in front of later ones.
 */
import { constants } from "node:fs";
import { type FileHandle, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { makeDir } from "../../make-dir.ts";
import type { Frame } from "./record.ts";
import { type ScanCallbacks, scanSegments, segmentFileName } from "./recover.ts";

/** When the log syncs its writes to disk. */
export type FsyncMode = "always" | "interval" | "never";

/** How often `fsync = "interval"` syncs the active segment. */
export const FSYNC_INTERVAL_MS = 1000;

/** Most bytes one batch writes; a larger backlog of appends is written in several batches. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** Settings and hooks of a log. */
export interface LogOptions {
  /** A segment is sealed and a new one started once it holds at least this many bytes. */
  readonly segmentBytes: number;
  readonly fsync: FsyncMode;
  /**
   * Positions below the returned value are never reused: the log starts there when its records end before it
   * (cursors may be ahead). Called once the scan is done, with the position where the scanned records end.
   */
  readonly minTail: (scannedEnd: number) => number;
  /** Called with the duration of every sync, in seconds. */
  readonly onFsync?: ((seconds: number) => void) | undefined;
}

interface Segment {
  readonly base: number;
  size: number;
  readonly path: string;
}

interface PendingAppend {
  readonly frame: Frame;
  readonly onWritten: (position: number) => void;
  readonly resolve: (position: number) => void;
  readonly reject: (err: Error) => void;
}

/** The log of one queue folder. Open with `SegmentLog.open`; `close()` when done. */
export class SegmentLog {
  readonly dir: string;
  readonly #segmentBytes: number;
  #fsync: FsyncMode;
  readonly #onFsync: ((seconds: number) => void) | undefined;
  readonly #segments: Segment[];
  #writer: FileHandle;
  #dirty = false;
  #broken = false;
  #closed = false;
  readonly #readers = new Map<number, Promise<FileHandle>>();
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  #inflightBytes = 0;
  #batchScheduled = false;
  #io: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;

  private constructor(dir: string, segments: Segment[], writer: FileHandle, options: LogOptions) {
    this.dir = dir;
    this.#segments = segments;
    this.#writer = writer;
    this.#segmentBytes = options.segmentBytes;
    this.#fsync = options.fsync;
    this.#onFsync = options.onFsync;
    this.#timer = setInterval(() => this.#tick(), FSYNC_INTERVAL_MS);
    this.#timer.unref();
  }

  /**
   * Opens (creating it if needed) the log in `dir`: scans every segment (see `scanSegments`), calling back
   * for each record and each damage found, then opens the last segment for appending.
   */
  static async open(dir: string, options: LogOptions, callbacks: ScanCallbacks): Promise<SegmentLog> {
    await makeDir(dir);
    const scanned = await scanSegments(dir, callbacks);
    const segments: Segment[] = scanned.map((s) => ({ ...s, path: join(dir, segmentFileName(s.base)) }));
    let last = segments.at(-1);
    const scannedEnd = last === undefined ? 0 : last.base + last.size;
    const minTail = options.minTail(scannedEnd);
    if (last === undefined || scannedEnd < minTail) {
      const base = Math.max(minTail, scannedEnd);
      last = { base, size: 0, path: join(dir, segmentFileName(base)) };
      segments.push(last);
    }
    const writer = await open(last.path, constants.O_RDWR | constants.O_CREAT, 0o644);
    await writer.truncate(last.size);
    if (options.fsync !== "never") await syncDir(dir);
    return new SegmentLog(dir, segments, writer, options);
  }

  /** The position of the oldest byte still on disk. */
  get head(): number {
    return this.#segments[0]?.base ?? 0;
  }

  /** The position the next record will get (before pending appends). */
  get tail(): number {
    const last = this.#segments.at(-1);
    return last === undefined ? 0 : last.base + last.size;
  }

  /** Bytes of every segment on disk. */
  get diskBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }

  /** Bytes accepted for writing and not written yet. */
  get reservedBytes(): number {
    return this.#pendingBytes + this.#inflightBytes;
  }

  /** Changes the sync policy; takes effect with the next batch. */
  setFsync(mode: FsyncMode): void {
    this.#fsync = mode;
  }

  /**
   * Appends a record. `onWritten(position)` is called for each record in log order once its batch is written
   * (and synced when `fsync = "always"`), just before the returned promise resolves with the same position.
   */
  append(frame: Frame, onWritten: (position: number) => void): Promise<number> {
    if (this.#closed) return Promise.reject(new Error("the queue is closed"));
    return new Promise((resolve, reject) => {
      this.#pending.push({ frame, onWritten, resolve, reject });
      this.#pendingBytes += frame.length;
      this.#scheduleBatch();
    });
  }

  #scheduleBatch(): void {
    if (this.#batchScheduled) return;
    this.#batchScheduled = true;
    this.#enqueue(() => this.#writeBatch());
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.#io.then(op);
    this.#io = next.catch(() => {});
    return next;
  }

  async #writeBatch(): Promise<void> {
    this.#batchScheduled = false;
    const batch: PendingAppend[] = [];
    let bytes = 0;
    while (this.#pending.length > 0 && (batch.length === 0 || bytes < MAX_BATCH_BYTES)) {
      const p = this.#pending.shift()!;
      batch.push(p);
      bytes += p.frame.length;
    }
    this.#pendingBytes -= bytes;
    this.#inflightBytes = bytes;
    if (this.#pending.length > 0) this.#scheduleBatch();
    try {
      let active = this.#segments.at(-1)!;
      if (this.#broken || (active.size > 0 && active.size + bytes > this.#segmentBytes)) {
        active = await this.#rotate();
      }
      const start = active.size;
      try {
        const parts = batch.flatMap((p) => p.frame.parts);
        const { bytesWritten } = await this.#writer.writev(parts as Uint8Array[], start);
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
        if (this.#fsync === "always") await this.#sync();
        else this.#dirty = true;
        // A segment deleted while open (the queue folder removed under the relay) still takes writes, into a
        // file nobody can read back: check before acknowledging them.
        if ((await this.#writer.stat()).nlink === 0) throw new SegmentGoneError(active.path);
      } catch (err) {
        await this.#writer.truncate(start).catch(() => {});
        this.#broken = true;
        throw err;
      }
      active.size = start + bytes;
      this.#inflightBytes = 0;
      let position = active.base + start;
      for (const p of batch) {
        p.onWritten(position);
        position += p.frame.length;
      }
      position = active.base + start;
      for (const p of batch) {
        p.resolve(position);
        position += p.frame.length;
      }
    } catch (err) {
      this.#inflightBytes = 0;
      const error = err instanceof Error ? err : new Error(String(err));
      for (const p of batch) p.reject(error);
    }
  }

  async #sync(): Promise<void> {
    const start = performance.now();
    await this.#writer.datasync();
    this.#dirty = false;
    this.#onFsync?.((performance.now() - start) / 1000);
  }

  /** Seals the active segment and starts a new one at its end. */
  async #rotate(): Promise<Segment> {
    const old = this.#segments.at(-1)!;
    if (this.#dirty && this.#fsync !== "never") await this.#sync().catch(() => {});
    await this.#writer.close().catch(() => {});
    const base = old.base + old.size;
    const fresh: Segment = { base, size: 0, path: join(this.dir, segmentFileName(base)) };
    if (old.size === 0) {
      this.#segments.pop();
      this.#closeReader(old.base);
      await unlink(old.path).catch(() => {});
    }
    this.#writer = await open(fresh.path, "w+");
    this.#segments.push(fresh);
    this.#broken = false;
    this.#dirty = false;
    if (this.#fsync !== "never") await syncDir(this.dir);
    return fresh;
  }

  #tick(): void {
    if (this.#fsync !== "interval" || !this.#dirty || this.#closed) return;
    void this.#enqueue(async () => {
      if (this.#dirty && !this.#closed) await this.#sync();
    }).catch(() => {});
  }

  /** Reads the record of `length` bytes at `position` (header included). */
  async read(position: number, length: number): Promise<Buffer> {
    const segment = this.#segmentOf(position);
    if (segment === undefined || position + length > segment.base + segment.size) {
      throw new Error(`position ${position} is not in the log`);
    }
    let reader = this.#readers.get(segment.base);
    if (reader === undefined) {
      reader = open(segment.path, "r");
      this.#readers.set(segment.base, reader);
      reader.catch(() => this.#readers.delete(segment.base));
    }
    const fh = await reader;
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await fh.read(buf, 0, length, position - segment.base);
    if (bytesRead !== length) throw new Error(`short read at position ${position}`);
    return buf;
  }

  #segmentOf(position: number): Segment | undefined {
    let lo = 0;
    let hi = this.#segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.#segments[mid]!;
      if (position < s.base) hi = mid - 1;
      else if (position >= s.base + s.size && mid < this.#segments.length - 1) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Deletes the sealed segments that end at or before `position` (every reader has passed them). */
  async release(position: number): Promise<void> {
    while (this.#segments.length > 1) {
      const first = this.#segments[0]!;
      if (first.base + first.size > position) break;
      this.#segments.shift();
      this.#closeReader(first.base);
      await unlink(first.path).catch(() => {});
    }
  }

  #closeReader(base: number): void {
    const reader = this.#readers.get(base);
    if (reader === undefined) return;
    this.#readers.delete(base);
    void reader.then((fh) => fh.close()).catch(() => {});
  }

  /** Resolves once every append made before the call is written (or has failed). */
  async drain(): Promise<void> {
    do {
      await this.#enqueue(async () => {}).catch(() => {});
    } while (this.#pending.length > 0 || this.#batchScheduled);
  }

  /** Writes what is pending, syncs (unless `fsync = "never"`), and closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return this.#io;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#enqueue(async () => {
      if (this.#dirty && this.#fsync !== "never") await this.#sync().catch(() => {});
      await this.#writer.close().catch(() => {});
    }).catch(() => {});
    for (const base of [...this.#readers.keys()]) this.#closeReader(base);
  }
}

/** The segment being written was deleted (with its folder, usually): nothing written to it can be kept. */
export class SegmentGoneError extends Error {
  constructor(path: string) {
    super(`the queue segment ${path} was deleted while the queue was open (was the queue folder removed?)`);
    this.name = "SegmentGoneError";
  }
}

/** Syncs a folder, so new or renamed entries in it survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } catch {
    // Some file systems cannot sync a directory; the entry is then as durable as they make it.
  } finally {
    await fh.close();
  }
}
