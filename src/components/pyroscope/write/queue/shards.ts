/**
 * The queue folder under `profile-relay run --workers=N`: each worker process owns one shard of the configured
 * `queue.path`, with its own lock, log, cursors and dead letters.
 *
 * ```
 * <path>/                  shard 0: worker 0's, the very folder one process uses (segments/, cursors.json, ...)
 * <path>/shards/1/         shard 1: worker 1's, the same layout
 * <path>/shards/<i>/       ...
 * ```
 *
 * Shard 0 is the configured folder itself, so `--workers=1` is exactly the single-process layout and going from
 * one worker to several keeps worker 0 on the data already there. The other shards live inside the configured
 * folder (not beside it), so the folder the user named, mounted or backed up holds everything; the queue's own
 * scan only reads `segments/`, so `shards/` is never mistaken for part of shard 0's log.
 *
 * Shards of workers that no longer exist (the relay ran with more workers before) are adopted: worker `i` of
 * `N` takes every shard `j >= N` with `j mod N == i` (`ShardAdoption`), moves what its endpoints still wait for
 * into its own shard (`Queue.adopt`), and removes the shard once it is empty. The shard's lock decides: a shard
 * still held by a live process (a worker of the earlier count that has not stopped yet) is left alone and tried
 * again later.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { WorkerSlot } from "../../../../runtime/component.ts";
import { LOCK_FILE, QueueLockedError } from "./lock.ts";
import type { Queue } from "./queue.ts";

/** The folder of the shards of workers 1 and up, inside the configured queue folder. */
export const SHARDS_DIR = "shards";

/** How long an adoption that could not finish (a live owner, a full queue, an error) waits before trying again. */
export const ADOPT_RETRY_MS = 30_000;

/** The folder worker `slot` owns: the configured folder for worker 0, `<base>/shards/<index>` for the others. */
export function shardPath(base: string, slot: WorkerSlot): string {
  return slot.index === 0 ? base : join(base, SHARDS_DIR, String(slot.index));
}

/** The shards of `base` that worker `slot` adopts: those of workers `j >= count` with `j mod count == index`. */
export async function adoptableShards(base: string, slot: WorkerSlot): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(join(base, SHARDS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return names
    .filter((n) => /^[1-9]\d{0,5}$/.test(n))
    .map(Number)
    .filter((j) => j >= slot.count && j % slot.count === slot.index)
    .sort((a, b) => a - b);
}

/**
 * Whether a shard folder may hold something to deliver: a log, or a lock (its owner may be writing the log
 * right now). A folder an adoption left with only its dead letters has neither.
 */
async function inUse(path: string): Promise<boolean> {
  const exists = (name: string) =>
    stat(join(path, name)).then(
      () => true,
      () => false,
    );
  return (await exists("segments")) || (await exists(LOCK_FILE));
}

/** What adopting one shard did. */
export interface AdoptResult {
  /** Items moved into the adopting worker's shard. */
  readonly moved: number;
  /** Items that could not be moved yet (the adopting shard is full, or the relay is stopping). */
  readonly left: number;
  /** Why items were left, when some were. */
  readonly reason?: string | undefined;
}

/**
 * One worker's adoption of the shards left by a higher worker count: a background loop that starts with the
 * queue and ends once every adoptable shard is delivered (or when stopped). Shards it cannot finish are tried
 * again every `ADOPT_RETRY_MS`.
 */
export class ShardAdoption {
  readonly #queue: Queue;
  readonly #base: string;
  readonly #slot: WorkerSlot;
  readonly #logger: Logger;
  readonly #retryMs: number;
  readonly #stop = new AbortController();
  /** Shards found held by a live process, said once each (later tries log at debug level). */
  readonly #held = new Set<number>();
  #loop: Promise<void> | undefined;

  constructor(queue: Queue, base: string, slot: WorkerSlot, logger: Logger, retryMs = ADOPT_RETRY_MS) {
    this.#queue = queue;
    this.#base = base;
    this.#slot = slot;
    this.#logger = logger;
    this.#retryMs = retryMs;
  }

  /** Starts the loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops the loop: a move in progress ends after its current window; what is left stays in its shard. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      let pending: number;
      try {
        pending = await this.#round(signal);
      } catch (err) {
        this.#logger.warn(
          { path: this.#base, err: (err as Error).message },
          "looking for queue shards of earlier workers failed; trying again later",
        );
        pending = 1;
      }
      if (pending === 0 || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#retryMs);
        timer.unref();
        signal.addEventListener("abort", done, { once: true });
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
      });
    }
  }

  /** Adopts every adoptable shard once; returns how many still need another try. */
  async #round(signal: AbortSignal): Promise<number> {
    let pending = 0;
    for (const j of await adoptableShards(this.#base, this.#slot)) {
      if (signal.aborted) return pending;
      const path = join(this.#base, SHARDS_DIR, String(j));
      if (!(await inUse(path))) continue;
      const fields = { shard: j, path, worker: this.#slot.index, workers: this.#slot.count };
      try {
        const r = await this.#queue.adopt(path, signal);
        if (r.left > 0) pending++;
        if (r.moved === 0 && r.left === 0) continue;
        if (r.left === 0) {
          this.#logger.info(
            { ...fields, moved: r.moved },
            "adopted the queue shard of a worker that no longer runs (the relay ran with more workers before): its queued profiles are delivered from this worker's shard",
          );
        } else {
          this.#logger.warn(
            { ...fields, moved: r.moved, left: r.left, err: r.reason },
            "adopting the queue shard of a worker that no longer runs: some queued profiles could not be moved yet; trying again later",
          );
        }
      } catch (err) {
        pending++;
        if (err instanceof QueueLockedError) {
          const first = !this.#held.has(j);
          this.#held.add(j);
          this.#logger[first ? "info" : "debug"](
            { ...fields, pid: err.owner?.pid },
            "the queue shard of a worker that is not part of this relay's worker count is held by a running process; adopting it once that process is gone",
          );
        } else {
          this.#logger.warn(
            { ...fields, err: (err as Error).message },
            "adopting the queue shard of a worker that no longer runs failed; trying again later",
          );
        }
      }
    }
    return pending;
  }
}
