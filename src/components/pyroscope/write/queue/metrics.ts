/**
 * The queue's metrics, `pyroscope_write_queue_*`, on the component's registry. They are registered the first
 * time a configuration has a `queue` block (so a `pyroscope.write` without one exposes exactly Alloy's
 * metrics) and shared by every queue the component opens afterwards. The `endpoint` label is the same as the
 * write metrics': the endpoint's `name`, else its URL with any password masked.
 *
 * Gauges are computed when scraped, from the queue that is open at that time. Under `run --workers=N` each
 * worker reports its own shard (a shard it adopts only adds to `adopted_total`), so the sum over workers is
 * the relay's figure: `appended_total` counts each profile once, where it was received.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Buckets of the fsync histogram, in seconds: from SSD-fast to a struggling disk. */
export const FSYNC_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** One endpoint's backlog at scrape time. */
export interface BacklogSnapshot {
  readonly endpoint: string;
  readonly items: number;
  readonly bytes: number;
  /** Age of the oldest item waiting, in seconds; 0 when none. */
  readonly oldestAgeSeconds: number;
}

/** What the gauges read. */
export interface QueueSnapshot {
  readonly diskBytes: number;
  readonly backlogs: readonly BacklogSnapshot[];
}

/** Why records were found damaged: `corrupt` (checksum or layout), `torn_tail` (an unfinished last write). */
export type CorruptReason = "corrupt" | "torn_tail";

/**
 * Faults of the queue folder itself, each logged when it happens: `stale_lock` (a lock left by a process that
 * is gone, taken over), `cursor_ahead` (a saved cursor past the end of the log, so the endpoint starts from
 * the oldest record instead of skipping them all), `not_a_file` (something named like a segment or
 * `cursors.json` that is not a file, moved aside), `folder_deleted` (the folder was removed while open: profiles are refused with 503).
 */
export type QueueFault = "stale_lock" | "cursor_ahead" | "not_a_file" | "folder_deleted";

/** The queue metrics of one component. */
export class QueueMetrics {
  readonly appended: Counter;
  readonly adopted: Counter;
  readonly delivered: Counter<"endpoint">;
  readonly expired: Counter<"endpoint">;
  readonly rejected: Counter<"endpoint">;
  readonly deadLettered: Counter<"endpoint">;
  readonly corrupt: Counter<"reason">;
  readonly fullRejections: Counter;
  readonly fsyncDuration: Histogram;
  readonly #faults: Counter<"fault">;
  readonly leftBehind: Counter;
  #source: { readonly owner: object; readonly read: () => QueueSnapshot } | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const snapshot = (): QueueSnapshot => this.#source?.read() ?? { diskBytes: 0, backlogs: [] };
    const perEndpoint = (pick: (b: BacklogSnapshot) => number, combine: (a: number, b: number) => number) =>
      function collect(this: Gauge<"endpoint">): void {
        this.reset();
        const values = new Map<string, number>();
        for (const b of snapshot().backlogs) {
          const prev = values.get(b.endpoint);
          values.set(b.endpoint, prev === undefined ? pick(b) : combine(prev, pick(b)));
        }
        for (const [endpoint, v] of values) this.set({ endpoint }, v);
      };
    const sum = (a: number, b: number) => a + b;
    new Gauge({
      name: "pyroscope_write_queue_bytes",
      help: "Bytes of profiles waiting in the queue for each endpoint.",
      labelNames: ["endpoint"],
      registers,
      collect: perEndpoint((b) => b.bytes, sum),
    });
    new Gauge({
      name: "pyroscope_write_queue_items",
      help: "Profiles (queue items) waiting in the queue for each endpoint.",
      labelNames: ["endpoint"],
      registers,
      collect: perEndpoint((b) => b.items, sum),
    });
    new Gauge({
      name: "pyroscope_write_queue_oldest_item_age_seconds",
      help: "Age of the oldest item waiting in the queue for each endpoint; 0 when none waits.",
      labelNames: ["endpoint"],
      registers,
      collect: perEndpoint((b) => b.oldestAgeSeconds, Math.max),
    });
    new Gauge({
      name: "pyroscope_write_queue_disk_bytes",
      help: "Bytes of the queue's segment files on disk (what max_size limits).",
      registers,
      collect(this: Gauge) {
        this.set(snapshot().diskBytes);
      },
    });
    this.appended = new Counter({
      name: "pyroscope_write_queue_appended_total",
      help: "Items written to the queue.",
      registers,
    });
    this.adopted = new Counter({
      name: "pyroscope_write_queue_adopted_total",
      help: "Items moved into this worker's queue shard from the shard of a worker that no longer runs (the relay ran with more workers before).",
      registers,
    });
    this.delivered = new Counter({
      name: "pyroscope_write_queue_delivered_total",
      help: "Queue items an endpoint accepted.",
      labelNames: ["endpoint"],
      registers,
    });
    this.expired = new Counter({
      name: "pyroscope_write_queue_expired_total",
      help: "Queue items dropped for an endpoint because they were older than max_age.",
      labelNames: ["endpoint"],
      registers,
    });
    this.rejected = new Counter({
      name: "pyroscope_write_queue_rejected_total",
      help: "Queue items an endpoint refused with a status that is not retried.",
      labelNames: ["endpoint"],
      registers,
    });
    this.deadLettered = new Counter({
      name: "pyroscope_write_queue_dead_lettered_total",
      help: "Rejected queue items written to the dead-letter folder.",
      labelNames: ["endpoint"],
      registers,
    });
    this.corrupt = new Counter({
      name: "pyroscope_write_queue_corrupt_records_total",
      help: "Damaged records found in the queue's log and skipped (corrupt) or cut off (torn_tail).",
      labelNames: ["reason"],
      registers,
    });
    this.fullRejections = new Counter({
      name: "pyroscope_write_queue_full_rejections_total",
      help: "Profiles refused with 429 because the queue had reached max_size.",
      registers,
    });
    this.#faults = new Counter({
      name: "pyroscope_write_queue_faults_total",
      help: "Faults of the queue folder: stale_lock, cursor_ahead, not_a_file, folder_deleted (see the logs).",
      labelNames: ["fault"],
      registers,
    });
    this.leftBehind = new Counter({
      name: "pyroscope_write_queue_left_behind_total",
      help: "Queue items a reload that changed queue.path could not move to the new folder; they stay in the old one.",
      registers,
    });
    this.fsyncDuration = new Histogram({
      name: "pyroscope_write_queue_fsync_duration_seconds",
      help: "Duration of the queue's fsync calls.",
      buckets: FSYNC_BUCKETS,
      registers,
    });
  }

  /** Counts a fault of the queue folder (the caller logs it). */
  fault(fault: QueueFault): void {
    this.#faults.inc({ fault });
  }

  /** Points the gauges at `owner`, the queue now open. */
  attach(owner: object, read: () => QueueSnapshot): void {
    this.#source = { owner, read };
  }

  /** Stops reading from `owner` (unless another queue has been attached since). */
  detach(owner: object): void {
    if (this.#source?.owner === owner) this.#source = undefined;
  }
}
