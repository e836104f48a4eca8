/**
 * The durable queue of a `pyroscope.write` component: profiles are appended to a checksummed log on disk and
 * acknowledged once written (and synced, with `fsync = "always"`); one `Sender` per endpoint delivers them
 * from its own cursor. See docs/durable-delivery.md.
 *
 * Folder layout: `segments/` (the log), `cursors.json` (each endpoint's cursor), `dead-letter/`.
 *
 * - Endpoints are known by `endpointKeys` (their `name`, else their URL). At start, an endpoint with a saved
 *   cursor resumes there; without a cursor file at all every endpoint starts at the oldest record (nothing on
 *   disk is skipped); an endpoint the file does not know, or one a reload adds, starts at the end of the log.
 *   A removed endpoint's cursor is dropped, so its backlog no longer holds segments.
 * - Cursors are saved `PERSIST_DELAY_MS` after they move (and on close); segments every cursor has passed
 *   are deleted after the save.
 * - Recently appended items stay decoded in memory (`ItemCache`, up to `cacheBytes`) so endpoints that keep
 *   up never read the disk; older ones are read back from the log.
 * - One owner per folder: the folder is locked while open (`QueueLock`), and folders are compared by their
 *   real path, so `./q`, `q/` and a symlink to it are one folder.
 * - A saved cursor past the end of the log (a `cursors.json` that does not belong to these segments) would
 *   skip every record: that endpoint starts from the oldest record instead (redelivering beats losing).
 * - A folder deleted while open is noticed at the next write (or lock refresh): from then on the queue
 *   refuses profiles with 503 and reports unhealthy, until the relay is restarted.
 * - A reload that changes the path hands the items still waiting over to the new queue (`handOver`); one
 *   that removes the `queue` block leaves them in the folder, logged and counted (`retire`).
 * - Under `run --workers=N` a queue is one worker's shard of the configured folder (`shards.ts`); the shard of
 *   a worker that no longer runs is moved into it the same way (`adopt`) and then removed.
 */
import { realpath, rm, rmdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import { failure, OK, type Outcome } from "../../../../pyroscope/receiver.ts";
import type { Health } from "../../../../runtime/component.ts";
import { makeDir } from "../../make-dir.ts";
import type { Endpoint } from "../endpoint.ts";
import type { WriteMetrics } from "../metrics.ts";
import { Backlog, type Entry } from "./backlog.ts";
import { ItemCache } from "./cache.ts";
import { CURSOR_FILE, type LoadedCursors, loadCursors, type SavedCursor, saveCursors } from "./cursors.ts";
import { DEAD_LETTER_DIR, type DeadLetterReason, DeadLetters } from "./dead-letters.ts";
import { endpointKeys } from "./endpoint-keys.ts";
import { decodeItem, encodeItem, itemBytes, itemProfiles, type QueueItem } from "./item.ts";
import { QueueLock } from "./lock.ts";
import { type FsyncMode, SegmentGoneError, SegmentLog } from "./log.ts";
import type { QueueMetrics, QueueSnapshot } from "./metrics.ts";
import { checkFrame, type Frame, frame } from "./record.ts";
import { Sender, type SenderHost } from "./sender.ts";
import type { AdoptResult } from "./shards.ts";

/** The `queue` block's settings, resolved. */
export interface QueueSettings {
  /** The queue folder (absolute or relative to the working directory). */
  readonly path: string;
  /** Largest size of the segment files on disk; past it appends are refused with 429. */
  readonly maxSize: number;
  /** Under `run --workers`: `maxSize` as this worker's share of the configured `max_size`, for errors. */
  readonly maxSizeShare?: string | undefined;
  /** Items older than this are dropped (counted as expired) instead of sent. */
  readonly maxAgeMs: number;
  readonly fsync: FsyncMode;
  /** Items in flight per endpoint. */
  readonly maxInflight: number;
}

/** The queue's collaborators and test seams. */
export interface QueueContext {
  readonly logger: Logger;
  readonly metrics: QueueMetrics;
  readonly writeMetrics: WriteMetrics;
  readonly random?: (() => number) | undefined;
  readonly sleep?: ((ms: number, signal: AbortSignal) => Promise<boolean>) | undefined;
  /** The clock, ms since the epoch. */
  readonly now?: (() => number) | undefined;
  /** Size at which a segment is sealed; default `segmentBytesFor(maxSize)`. */
  readonly segmentBytes?: number | undefined;
  /** How old an endpoint's oldest waiting item may get before the component reports unhealthy. */
  readonly stuckAfterMs?: number | undefined;
  /** Bytes of recently appended items kept in memory. */
  readonly cacheBytes?: number | undefined;
}

/** How long after a cursor moves it is saved; a crash redelivers at most about this much. */
export const PERSIST_DELAY_MS = 100;

/** `Retry-After` sent with a "queue full" 429 and with a failed write. */
export const FULL_RETRY_AFTER_MS = 1000;

/** Default stuck threshold: 5 minutes, or half of `max_age` when that is shorter. */
export const STUCK_AFTER_MS = 5 * 60_000;

/** Default bytes of recent items kept decoded in memory. */
export const CACHE_BYTES = 64 * 1024 * 1024;

/** Bytes of items a hand-over reads and appends to the new queue at a time (one group commit there). */
const HAND_OVER_WINDOW_BYTES = 16 * 1024 * 1024;

/** A failed write makes the component unhealthy for this long. */
const APPEND_ERROR_HEALTH_MS = 60_000;

/** Segment size for a queue of `maxSize` bytes: an eighth of it (so passed segments free room), 4 KiB to 64 MiB. */
export function segmentBytesFor(maxSize: number): number {
  return Math.min(64 * 1024 * 1024, Math.max(4096, Math.floor(maxSize / 8)));
}

/** Queue folders open in this process, by real path, so two components cannot share one by accident. */
const OPEN_PATHS = new Map<string, Queue | "opening">();

/** An open queue. */
export class Queue {
  readonly path: string;
  /** `path` with every symlink resolved: what the lock and the in-process check compare. */
  readonly realPath: string;
  readonly #lock: QueueLock;
  #lost: string | undefined;
  /** Set by `handOver`: appends go to this queue instead. */
  #movedTo: Queue | undefined;
  /** Set by `handOver`: every item before this position is in the new queue, so done here too. */
  #handedOverTo = 0;
  #settings: QueueSettings;
  readonly #ctx: QueueContext;
  readonly #log: SegmentLog;
  readonly #backlog: Backlog;
  readonly #deadLetters: DeadLetters;
  readonly #host: SenderHost;
  readonly #now: () => number;
  readonly #cache: ItemCache;
  #senders = new Map<string, Sender>();
  #saved: LoadedCursors | undefined;
  readonly #stopping = new Set<Promise<void>>();
  #persistTimer: NodeJS.Timeout | undefined;
  #persisting: Promise<void> = Promise.resolve();
  #closed = false;
  #lastAppendError: { message: string; at: number } | undefined;
  #health: Health;

  private constructor(
    path: string,
    realPath: string,
    lock: QueueLock,
    settings: QueueSettings,
    ctx: QueueContext,
    log: SegmentLog,
    backlog: Backlog,
    saved: LoadedCursors,
  ) {
    this.path = path;
    this.realPath = realPath;
    this.#lock = lock;
    this.#settings = settings;
    this.#ctx = ctx;
    this.#log = log;
    this.#backlog = backlog;
    this.#saved = saved;
    this.#now = ctx.now ?? Date.now;
    this.#cache = new ItemCache(ctx.cacheBytes ?? CACHE_BYTES);
    this.#deadLetters = new DeadLetters(join(path, DEAD_LETTER_DIR));
    this.#health = { state: "healthy", message: "queue open", updatedTime: new Date(this.#now()) };
    this.#host = {
      backlog,
      metrics: ctx.metrics,
      writeMetrics: ctx.writeMetrics,
      logger: ctx.logger,
      load: (entry) => this.#load(entry),
      markCorrupt: (entry, err) => this.#markCorrupt(entry, err),
      onAdvance: () => this.#onAdvance(),
      deadLetter: (item, reason) => this.#deadLetter(item, reason),
      maxAgeMs: () => this.#settings.maxAgeMs,
      maxInflight: () => this.#settings.maxInflight,
      now: this.#now,
      random: ctx.random,
      sleep: ctx.sleep,
    };
  }

  /**
   * Opens the queue folder: reads the cursors, scans the log (repairing a torn tail), builds the index.
   * `adopting`: the folder is another worker's shard opened only to move its items out (`adopt`): the gauges
   * keep reading the adopting queue.
   */
  static async open(settings: QueueSettings, ctx: QueueContext, adopting = false): Promise<Queue> {
    const path = resolve(settings.path);
    await makeDir(path);
    const real = await realpath(path);
    if (OPEN_PATHS.has(real)) {
      throw new Error(
        `queue path "${path}"${real === path ? "" : ` (${real})`} is already used by another pyroscope.write component of this relay: give each its own queue path`,
      );
    }
    OPEN_PATHS.set(real, "opening");
    let lock: QueueLock | undefined;
    try {
      lock = await QueueLock.acquire(real, (previous, reason) => {
        ctx.metrics.fault("stale_lock");
        ctx.logger.warn(
          { path: real, pid: previous?.pid, host: previous?.host, since: previous?.since, reason },
          "taking over the lock of the queue folder: its owner is gone",
        );
      });
      const saved = await loadCursors(real);
      if (!saved.found && saved.moved === true) ctx.metrics.fault("not_a_file");
      if (!saved.found && saved.problem !== undefined) {
        ctx.logger.warn(
          { path, problem: saved.problem },
          "queue cursors unreadable; delivering every record",
        );
      }
      const backlog = new Backlog();
      /** Cursors past the end of the scanned log, by key, with that end. */
      const ahead = new Map<string, { position: number; end: number }>();
      const minTail = (scannedEnd: number): number => {
        let min = 0;
        if (!saved.found) return min;
        for (const [key, c] of saved.cursors) {
          if (c.position > scannedEnd && backlog.size > 0)
            ahead.set(key, { position: c.position, end: scannedEnd });
          else min = Math.max(min, c.position);
        }
        return min;
      };
      const log = await SegmentLog.open(
        join(real, "segments"),
        {
          segmentBytes: ctx.segmentBytes ?? segmentBytesFor(settings.maxSize),
          fsync: settings.fsync,
          minTail,
          onFsync: (s) => ctx.metrics.fsyncDuration.observe(s),
        },
        {
          onRecord: (position, length, payload) => {
            try {
              const item = decodeItem(payload);
              backlog.push({
                position,
                length,
                receivedAt: item.receivedAt,
                bytes: itemBytes(item),
                profiles: itemProfiles(item),
                item: undefined,
                corrupt: false,
              });
            } catch (err) {
              ctx.metrics.corrupt.inc({ reason: "corrupt" });
              ctx.logger.warn(
                { path, position, err: (err as Error).message },
                "skipping an unreadable queue record",
              );
            }
          },
          onDamage: (d) => {
            if (d.kind === "foreign") {
              ctx.metrics.fault("not_a_file");
              ctx.logger.warn(
                { path, file: d.file, moved_to: `${d.file}.bad` },
                "the queue's segments folder holds something named like a segment that is not a file; moved it aside",
              );
              return;
            }
            ctx.metrics.corrupt.inc({ reason: d.kind === "torn" ? "torn_tail" : "corrupt" });
            ctx.logger.warn(
              { path, file: d.file, offset: d.offset, bytes: d.bytes },
              d.kind === "torn"
                ? "queue log ends in an unfinished record; cutting it off"
                : "skipping damaged bytes in the queue log",
            );
          },
        },
      );
      let cursors = saved;
      if (saved.found && ahead.size > 0) {
        const fixed = new Map(saved.cursors);
        for (const [key, a] of ahead) {
          const c = saved.cursors.get(key)!;
          fixed.set(key, { ...c, position: log.head });
          ctx.metrics.fault("cursor_ahead");
          ctx.logger.warn(
            { path, endpoint: c.endpoint, cursor: a.position, log_end: a.end, items: backlog.size },
            "a saved queue cursor is past the end of the log (cursors.json does not match the segments); that endpoint is sent every queued profile again rather than none",
          );
        }
        cursors = { found: true, cursors: fixed };
      }
      const queue = new Queue(path, real, lock, settings, ctx, log, backlog, cursors);
      OPEN_PATHS.set(real, queue);
      lock.onLost = (why) => queue.#folderLost(why);
      if (!adopting) {
        ctx.metrics.attach(queue, () => queue.snapshot());
        ctx.logger.info({ path, items: backlog.size, bytes: log.diskBytes }, "queue opened");
      }
      return queue;
    } catch (err) {
      OPEN_PATHS.delete(real);
      await lock?.release();
      throw err;
    }
  }

  /** Whether the folder was deleted while open: the queue then refuses everything until it is reopened. */
  get lost(): boolean {
    return this.#lost !== undefined;
  }

  /** The folder (or the segment being written) was deleted: nothing written from now on could be kept. */
  #folderLost(why: string): void {
    if (this.#lost !== undefined || this.#closed) return;
    this.#lost = why;
    this.#ctx.metrics.fault("folder_deleted");
    OPEN_PATHS.delete(this.realPath);
    this.#ctx.logger.error(
      { path: this.path, err: why },
      "the queue folder was deleted while the queue was open; profiles are refused with 503 until the relay is restarted",
    );
  }

  /** Applies new settings (everything but the path, which needs a new queue). */
  update(settings: QueueSettings): void {
    this.#settings = settings;
    this.#log.setFsync(settings.fsync);
    for (const s of this.#senders.values()) s.poke();
  }

  /**
   * Sets the endpoints: known ones keep their cursor and get the new endpoint object from their next
   * attempt; new ones start at the end of the log (or, on the first call, where the cursor file says);
   * removed ones stop (items in flight stay queued for nobody) and their cursors are dropped. `start = false`
   * makes the new senders without starting them (a shard being adopted only needs their cursors).
   */
  setEndpoints(endpoints: readonly Endpoint[], start = true): void {
    if (this.#closed) return;
    const keys = endpointKeys(endpoints);
    const next = new Map<string, Sender>();
    endpoints.forEach((ep, i) => {
      const key = keys[i]!;
      const existing = this.#senders.get(key);
      if (existing !== undefined) {
        existing.setEndpoint(ep);
        next.set(key, existing);
        return;
      }
      const sender = new Sender(key, ep, this.#startOf(key), this.#host);
      next.set(key, sender);
      if (start) sender.start();
    });
    for (const [key, sender] of this.#senders) {
      if (next.has(key)) continue;
      const stopped = sender.stop().catch(() => {});
      this.#stopping.add(stopped);
      void stopped.then(() => this.#stopping.delete(stopped));
    }
    this.#senders = next;
    this.#saved = undefined;
    this.#onAdvance();
  }

  #startOf(key: string): number {
    const tail = this.#log.tail;
    const saved = this.#saved;
    if (saved === undefined) return tail;
    if (!saved.found) return this.#log.head;
    const c = saved.cursors.get(key);
    return c === undefined ? tail : Math.min(tail, Math.max(this.#log.head, c.position));
  }

  /**
   * Queues an item: `ok` once it is written (and synced, with `fsync = "always"`); 429 with
   * `Retry-After` when the queue is full; 413 when it could never fit; 503 when the write fails or the queue
   * is closing. With no endpoint there is nobody to deliver to: `ok`, not written.
   */
  append(item: QueueItem): Promise<Outcome> {
    return this.#append(item, false);
  }

  /** `append`; `adopted`: the item comes from another worker's shard (counted as adopted, not appended). */
  async #append(item: QueueItem, adopted: boolean): Promise<Outcome> {
    if (this.#movedTo !== undefined) return this.#movedTo.#append(item, adopted);
    if (this.#closed) return failure(503, "the queue is closing");
    if (this.#lost !== undefined) {
      return failure(
        503,
        `the queue folder ${this.path} was deleted while the relay was running; profiles cannot be kept until it is restarted`,
        { retryAfterMs: FULL_RETRY_AFTER_MS },
      );
    }
    if (this.#senders.size === 0) return OK;
    const { maxSize, maxSizeShare } = this.#settings;
    let f: Frame;
    try {
      f = frame(encodeItem(item));
    } catch (err) {
      return failure(413, `profile cannot be queued: ${(err as Error).message}`);
    }
    if (f.length > maxSize) {
      return failure(
        413,
        `profile of ${f.length} bytes is larger than ${maxSizeShare ?? `the queue's max_size (${maxSize} bytes)`}`,
      );
    }
    if (this.#log.diskBytes + this.#log.reservedBytes + f.length > maxSize) {
      this.#ctx.metrics.fullRejections.inc();
      return failure(
        429,
        `the queue is full (${maxSizeShare ?? `max_size ${maxSize} bytes`}); try again later`,
        {
          retryAfterMs: FULL_RETRY_AFTER_MS,
        },
      );
    }
    try {
      await this.#log.append(f, (position) => this.#written(position, f.length, item, adopted));
      return OK;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof SegmentGoneError || (err as NodeJS.ErrnoException).code === "ENOENT") {
        this.#folderLost(message);
      }
      this.#lastAppendError = { message, at: this.#now() };
      this.#ctx.logger.error({ path: this.path, err: message }, "writing to the queue failed");
      return failure(503, `writing to the queue failed: ${message}`, { retryAfterMs: FULL_RETRY_AFTER_MS });
    }
  }

  #written(position: number, length: number, item: QueueItem, adopted: boolean): void {
    const entry: Entry = {
      position,
      length,
      receivedAt: item.receivedAt,
      bytes: itemBytes(item),
      profiles: itemProfiles(item),
      item,
      corrupt: false,
    };
    this.#backlog.push(entry);
    this.#cache.add(entry);
    if (adopted) this.#ctx.metrics.adopted.inc();
    else this.#ctx.metrics.appended.inc();
    for (const s of this.#senders.values()) s.added(entry);
    if (this.#senders.size === 0) this.#onAdvance();
  }

  async #load(entry: Entry): Promise<QueueItem> {
    if (entry.item !== undefined) return entry.item;
    const buf = await this.#log.read(entry.position, entry.length);
    const c = checkFrame(buf, 0);
    if (c.kind !== "ok" || c.end !== buf.length) throw new Error("the record's checksum does not match");
    return decodeItem(buf.subarray(c.payloadStart, c.end));
  }

  #markCorrupt(entry: Entry, err: unknown): void {
    if (entry.corrupt) return;
    entry.corrupt = true;
    this.#ctx.metrics.corrupt.inc({ reason: "corrupt" });
    this.#ctx.logger.warn(
      { path: this.path, position: entry.position, err: err instanceof Error ? err.message : String(err) },
      "skipping a damaged queue record",
    );
  }

  #deadLetter(item: QueueItem, reason: DeadLetterReason): Promise<boolean> {
    return this.#deadLetters.add(item, reason, this.#now());
  }

  #minWatermark(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const s of this.#senders.values()) min = Math.min(min, s.watermark);
    return min === Number.POSITIVE_INFINITY ? (this.#backlog.end ?? this.#log.tail) : min;
  }

  #onAdvance(): void {
    this.#cache.releaseAll(this.#backlog.dropBefore(this.#minWatermark()));
    if (this.#persistTimer === undefined && !this.#closed) {
      this.#persistTimer = setTimeout(() => {
        this.#persistTimer = undefined;
        void this.#persist();
      }, PERSIST_DELAY_MS);
      this.#persistTimer.unref();
    }
  }

  /** Saves every cursor, then deletes the segments all of them have passed. */
  #persist(): Promise<void> {
    const run = async (): Promise<void> => {
      const cursors = new Map<string, SavedCursor>();
      for (const s of this.#senders.values()) {
        const position = Math.max(s.watermark, this.#handedOverTo);
        cursors.set(s.key, { position, endpoint: s.endpoint.metricLabel });
      }
      try {
        await saveCursors(this.path, cursors, this.#settings.fsync !== "never");
        let min = this.#log.tail;
        for (const c of cursors.values()) min = Math.min(min, c.position);
        await this.#log.release(min);
      } catch (err) {
        this.#ctx.logger.error(
          { path: this.path, err: (err as Error).message },
          "saving queue cursors failed",
        );
      }
    };
    this.#persisting = this.#persisting.then(run);
    return this.#persisting;
  }

  /** Backlogs for the metrics. */
  snapshot(): QueueSnapshot {
    const now = this.#now();
    return {
      diskBytes: this.#log.diskBytes,
      backlogs: [...this.#senders.values()].map((s) => {
        const oldest = s.oldest();
        return {
          endpoint: s.endpoint.metricLabel,
          items: s.items,
          bytes: s.bytes,
          oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest.receivedAt) / 1000),
        };
      }),
    };
  }

  /**
   * Unhealthy while an endpoint's oldest waiting item is older than the stuck threshold (5 minutes, or half
   * of `max_age` if shorter), or for a minute after a write to the queue failed.
   */
  health(): Health {
    const now = this.#now();
    const stuckAfter = this.#ctx.stuckAfterMs ?? Math.min(STUCK_AFTER_MS, this.#settings.maxAgeMs / 2);
    const problems: string[] = [];
    for (const s of this.#senders.values()) {
      const oldest = s.oldest();
      if (oldest === undefined) continue;
      const age = now - oldest.receivedAt;
      if (age <= stuckAfter) continue;
      const last = s.lastError;
      problems.push(
        `queue: endpoint ${s.endpoint.displayUrl} has ${s.items} ${s.items === 1 ? "profile" : "profiles"} waiting, the oldest for ${Math.round(age / 1000)}s${last === undefined ? "" : `; last error: ${last}`}`,
      );
    }
    if (this.#lost !== undefined) {
      problems.push(
        `queue: the folder ${this.path} was deleted while open (${this.#lost}); profiles are refused with 503 until the relay is restarted`,
      );
    }
    const appendError = this.#lastAppendError;
    if (appendError !== undefined && now - appendError.at < APPEND_ERROR_HEALTH_MS) {
      problems.push(`queue: writing to ${this.path} failed: ${appendError.message}`);
    }
    const state = problems.length > 0 ? "unhealthy" : "healthy";
    const message = problems.length > 0 ? problems.join("; ") : "queue: every endpoint is keeping up";
    if (state !== this.#health.state || message !== this.#health.message) {
      const updatedTime = state === this.#health.state ? this.#health.updatedTime : new Date(now);
      this.#health = { state, message, updatedTime };
    }
    return this.#health;
  }

  /**
   * Moves every item an endpoint still waits for to `to` (the queue a reload opened at a new path), then
   * closes. Why move rather than drain here or leave them: draining keeps two folders and two sets of
   * senders alive for as long as an endpoint is down (up to `max_age`), and leaving them strands acknowledged
   * profiles in a folder nothing reads any more. Moving costs one read and one write of the backlog, and
   * what arrives in the new folder is delivered as if it had been received there (same IDs, same receive
   * times, so `max_age` still counts from the first receipt).
   *
   * Appends that come in meanwhile go straight to `to`. Items are appended in log order; an item some
   * endpoints already got is sent to them again (at-least-once; push samples keep their IDs). When `to`
   * refuses (it is full) or `signal` aborts, the rest stays here, logged and counted in
   * `pyroscope_write_queue_left_behind_total`: a relay that opens this folder again sends it.
   */
  async handOver(to: Queue, signal: AbortSignal): Promise<void> {
    if (this.#closed) return;
    this.#movedTo = to;
    await this.#log.drain();
    await Promise.allSettled([...[...this.#senders.values()].map((s) => s.stop()), ...this.#stopping]);
    const { moved, left, refused } = await this.#moveBacklog(to, signal, false);
    const fields = { path: this.path, to: to.path, moved, left };
    if (left === 0) {
      this.#ctx.logger.info(fields, "queue path changed: moved the queued profiles to the new folder");
    } else {
      this.#ctx.metrics.leftBehind.inc(left);
      this.#ctx.logger.warn(
        { ...fields, err: refused ?? "the relay is stopping" },
        "queue path changed: some queued profiles could not be moved and stay in the old folder; a relay whose queue.path is that folder sends them",
      );
    }
    await this.close();
  }

  /**
   * Moves every item the endpoints still wait for to `to`, in log order and in windows of
   * `HAND_OVER_WINDOW_BYTES`, until done, `to` refuses, or `signal` aborts; what was moved counts as done here
   * (the saved cursors pass it). The senders must be stopped.
   */
  async #moveBacklog(
    to: Queue,
    signal: AbortSignal,
    adopted: boolean,
  ): Promise<{ moved: number; left: number; refused: string | undefined }> {
    const from = this.#minWatermark();
    const entries = [...this.#backlog.from(from)];
    let done = 0;
    let refused: string | undefined;
    while (done < entries.length && refused === undefined && !signal.aborted) {
      const window: Entry[] = [];
      let bytes = 0;
      for (let i = done; i < entries.length && (window.length === 0 || bytes < HAND_OVER_WINDOW_BYTES); i++) {
        window.push(entries[i]!);
        bytes += entries[i]!.length;
      }
      const results = await Promise.all(window.map((e) => this.#moveOne(e, to, adopted)));
      for (const r of results) {
        if (r !== undefined) {
          refused = r;
          break;
        }
        done++;
      }
    }
    if (done > 0) {
      const last = entries[done - 1]!;
      this.#handedOverTo = last.position + last.length;
    }
    return { moved: done, left: entries.length - done, refused };
  }

  /**
   * Adopts the shard at `path`, left by a worker that no longer runs (see `shards.ts`): takes its lock (a live
   * owner makes this throw `QueueLockedError`), moves every item this queue's endpoints still wait for there
   * into this queue, as `handOver` does (same IDs and receive times: retries, `max_age` and dead letters apply
   * as if they had been received here; an item some endpoints already got is sent to them again), and removes
   * the shard once nothing is left in it but dead letters. When this queue refuses (it is full) or `signal`
   * aborts, the rest stays in the shard, its cursors saved past what was moved.
   */
  async adopt(path: string, signal: AbortSignal): Promise<AdoptResult> {
    const endpoints = [...this.#senders.values()].map((s) => s.endpoint);
    if (endpoints.length === 0 || this.#closed) {
      return { moved: 0, left: 0 };
    }
    const shard = await Queue.open({ ...this.#settings, path }, this.#ctx, true);
    let emptied = false;
    try {
      shard.setEndpoints(endpoints, false);
      // Each move resolves once the item is written here, so what `moved` counts is safe to delete there.
      const { moved, left, refused } = await shard.#moveBacklog(this, signal, true);
      emptied = left === 0 && !signal.aborted;
      return { moved, left, reason: left === 0 ? undefined : (refused ?? "the relay is stopping") };
    } finally {
      if (emptied) await shard.#remove();
      else await shard.close();
    }
  }

  /**
   * Closes the queue and deletes its log and cursors, then its folder (and the `shards/` folder above it) when
   * nothing else (dead letters) is left in them. Only for a shard whose items are all moved.
   */
  async #remove(): Promise<void> {
    this.#closed = true;
    try {
      await Promise.allSettled([...this.#senders.values()].map((s) => s.stop()));
      await this.#log.close();
      clearTimeout(this.#persistTimer);
      this.#persistTimer = undefined;
      await this.#persisting;
      await rm(join(this.path, "segments"), { recursive: true, force: true });
      await rm(join(this.path, CURSOR_FILE), { force: true });
      await rm(join(this.path, `${CURSOR_FILE}.tmp`), { force: true });
    } finally {
      if (OPEN_PATHS.get(this.realPath) === this) OPEN_PATHS.delete(this.realPath);
      await this.#lock.release();
    }
    await rmdir(this.path).catch(() => {});
    await rmdir(dirname(this.path)).catch(() => {});
  }

  /** Appends one entry's item to `to`; undefined when it is there (or was damaged), else why not. */
  async #moveOne(entry: Entry, to: Queue, adopted: boolean): Promise<string | undefined> {
    if (entry.corrupt) return undefined;
    let item: QueueItem;
    try {
      item = await this.#load(entry);
    } catch (err) {
      this.#markCorrupt(entry, err);
      return undefined;
    }
    const outcome = await to.#append(item, adopted);
    return outcome.ok ? undefined : outcome.message;
  }

  /**
   * Closes a queue a reload no longer uses at all (the `queue` block was removed): what endpoints still wait
   * for stays in the folder (a relay that opens it again sends it), logged and counted as left behind.
   */
  async retire(): Promise<void> {
    if (this.#closed) return;
    await this.#log.drain();
    await Promise.allSettled([...[...this.#senders.values()].map((s) => s.stop()), ...this.#stopping]);
    const left = [...this.#backlog.from(this.#minWatermark())].filter((e) => !e.corrupt).length;
    if (left > 0) {
      this.#ctx.metrics.leftBehind.inc(left);
      this.#ctx.logger.warn(
        { path: this.path, left },
        "the queue block was removed: queued profiles stay in its folder; a relay whose queue.path is that folder sends them",
      );
    }
    await this.close();
  }

  /**
   * Stops every sender (items in flight stay queued), writes what is pending, saves the cursors and closes
   * the files. Appends after this fail with 503.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const senders = [...this.#senders.values()];
    await Promise.allSettled([...senders.map((s) => s.stop()), ...this.#stopping]);
    await this.#log.close();
    clearTimeout(this.#persistTimer);
    this.#persistTimer = undefined;
    await this.#persist();
    this.#ctx.metrics.detach(this);
    if (OPEN_PATHS.get(this.realPath) === this) OPEN_PATHS.delete(this.realPath);
    await this.#lock.release();
  }
}
