/**
 * One endpoint's delivery loop over the queue: it reads the log from its own cursor and sends each item with
 * the endpoint's retry settings (backoff, `Retry-After`, `retry_on_http_429`) but without the attempt limit,
 * at most `max_inflight_per_endpoint` items at a time. An item leaves the endpoint's backlog when it is
 * delivered, refused for good (dead-lettered), older than `max_age` (expired, also while it is being retried),
 * or found damaged on disk. A failing endpoint only ever holds back itself.
 *
 * The cursor (`watermark`) is the position before which every item is done; items finished out of order wait
 * in a set until the ones before them are done, so the saved cursor never skips an unfinished item.
 */
import { Code } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Failure } from "../../../../pyroscope/receiver.ts";
import { deliver } from "../deliver.ts";
import type { Endpoint } from "../endpoint.ts";
import type { WriteMetrics } from "../metrics.ts";
import { itemAttempt } from "./attempt.ts";
import type { Backlog, Entry } from "./backlog.ts";
import type { DeadLetterReason } from "./dead-letters.ts";
import type { QueueItem } from "./item.ts";
import type { QueueMetrics } from "./metrics.ts";
import { Wake } from "./wake.ts";

/** What a sender needs from its queue. */
export interface SenderHost {
  readonly backlog: Backlog;
  readonly metrics: QueueMetrics;
  readonly writeMetrics: WriteMetrics;
  readonly logger: Logger;
  /** The item of an entry, from the cache or the disk; throws when the record is damaged. */
  load(entry: Entry): Promise<QueueItem>;
  /** Marks an entry damaged (counted once, skipped by every endpoint). */
  markCorrupt(entry: Entry, err: unknown): void;
  /** Called when the watermark moves. */
  onAdvance(): void;
  deadLetter(item: QueueItem, reason: DeadLetterReason): Promise<boolean>;
  readonly maxAgeMs: () => number;
  readonly maxInflight: () => number;
  readonly now: () => number;
  readonly random?: (() => number) | undefined;
  readonly sleep?: ((ms: number, signal: AbortSignal) => Promise<boolean>) | undefined;
}

type Result = "delivered" | "rejected" | "expired" | "corrupt" | "stopped";

/** The delivery loop of one endpoint. */
export class Sender {
  /** The endpoint's identity across reloads and restarts (see `endpointKeys`). */
  readonly key: string;
  #endpoint: Endpoint;
  readonly #host: SenderHost;
  #watermark: number;
  #next: number;
  readonly #inflight = new Map<number, AbortController>();
  readonly #doneAhead = new Set<number>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #wake = new Wake();
  #items = 0;
  #bytes = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #lastError: string | undefined;
  #failing = false;

  constructor(key: string, endpoint: Endpoint, start: number, host: SenderHost) {
    this.key = key;
    this.#endpoint = endpoint;
    this.#host = host;
    this.#watermark = start;
    this.#next = start;
    for (const e of host.backlog.from(start)) {
      this.#items++;
      this.#bytes += e.bytes;
    }
  }

  /** The endpoint the next attempt goes to. */
  get endpoint(): Endpoint {
    return this.#endpoint;
  }

  /** Every item before this position is done for this endpoint. */
  get watermark(): number {
    return this.#watermark;
  }

  /** Items waiting (in flight included). */
  get items(): number {
    return this.#items;
  }

  /** Profile bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The last failure while the endpoint is failing; undefined once an item gets through. */
  get lastError(): string | undefined {
    return this.#failing ? this.#lastError : undefined;
  }

  /** The oldest item still waiting for this endpoint, if any. */
  oldest(): Entry | undefined {
    return this.#host.backlog.firstAtOrAfter(this.#watermark);
  }

  /** Uses `endpoint` (a reload's new settings and client) from the next attempt on. */
  setEndpoint(endpoint: Endpoint): void {
    this.#endpoint = endpoint;
    this.#wake.notify();
  }

  /** A new item was written to the log. */
  added(entry: Entry): void {
    this.#items++;
    this.#bytes += entry.bytes;
    this.#wake.notify();
  }

  /** Wakes the loop (settings changed). */
  poke(): void {
    this.#wake.notify();
  }

  /** Starts the loop. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops taking items, cancels the ones in flight (they stay queued) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const c of this.#inflight.values()) c.abort();
    this.#wake.notify();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const sleepMs = this.#fill();
      await this.#wake.wait(sleepMs);
    }
    await Promise.allSettled([...this.#tasks]);
  }

  /** Starts what it can; returns when to look again (undefined: when woken). */
  #fill(): number | undefined {
    const backlog = this.#host.backlog;
    const maxAge = this.#host.maxAgeMs();
    const now = this.#host.now();
    for (;;) {
      const e = backlog.firstAtOrAfter(this.#next);
      if (e === undefined) return undefined;
      const age = now - e.receivedAt;
      if (e.corrupt || age >= maxAge) {
        this.#next = e.position + e.length;
        if (!e.corrupt) this.#expired(e);
        this.#finish(e);
        continue;
      }
      if (this.#inflight.size >= this.#host.maxInflight()) return Math.max(1, maxAge - age);
      this.#next = e.position + e.length;
      this.#start(e, maxAge - age);
    }
  }

  #start(entry: Entry, remainingMs: number): void {
    const controller = new AbortController();
    this.#inflight.set(entry.position, controller);
    const task = this.#deliverOne(entry, controller.signal, remainingMs)
      .catch((err: unknown) => {
        this.#host.logger.error({ err }, "queue delivery failed unexpectedly");
        return "stopped" as const;
      })
      .then((result) => {
        this.#inflight.delete(entry.position);
        this.#tasks.delete(task);
        if (result !== "stopped") this.#finish(entry);
        this.#wake.notify();
      });
    this.#tasks.add(task);
  }

  async #deliverOne(entry: Entry, stop: AbortSignal, remainingMs: number): Promise<Result> {
    const host = this.#host;
    let item: QueueItem;
    try {
      item = await host.load(entry);
    } catch (err) {
      if (stop.aborted) return "stopped";
      host.markCorrupt(entry, err);
      return "corrupt";
    }
    const expiry = new AbortController();
    const timer = setTimeout(() => expiry.abort(), Math.max(0, remainingMs));
    timer.unref();
    const signal = AbortSignal.any([stop, expiry.signal]);
    const attempt = itemAttempt(item);
    const first = this.#endpoint;
    const started = performance.now();
    try {
      const result = await deliver(
        async () => {
          const endpoint = this.#endpoint;
          const attemptStarted = performance.now();
          try {
            return await attempt(endpoint, signal);
          } finally {
            host.writeMetrics
              .series(endpoint.metricLabel)
              .downstreamLatency(item.kind)
              .observe((performance.now() - attemptStarted) / 1000);
          }
        },
        {
          backoff: {
            minBackoffMs: first.args.min_backoff_period,
            maxBackoffMs: first.args.max_backoff_period,
            maxRetries: 0,
          },
          retryOnHttp429: first.args.retry_on_http_429,
          signal,
          random: host.random,
          sleep: host.sleep,
          onFailedAttempt: (f, retries) => this.#failedAttempt(f, retries, item),
          onRetry: () => host.writeMetrics.series(this.#endpoint.metricLabel).retried(),
        },
      );
      const label = this.#endpoint.metricLabel;
      if (result.ok) {
        this.#succeeded();
        host.writeMetrics.series(label).sent(entry.bytes, entry.profiles);
        host.metrics.delivered.inc({ endpoint: label });
        return "delivered";
      }
      if (stop.aborted) return "stopped";
      if (expiry.signal.aborted || host.now() - entry.receivedAt >= host.maxAgeMs()) {
        this.#expired(entry);
        return "expired";
      }
      host.writeMetrics.series(label).dropped(entry.bytes, entry.profiles);
      host.metrics.rejected.inc({ endpoint: label });
      host.logger.warn(
        { endpoint: this.#endpoint.displayUrl, id: item.id, err: result.last.message },
        "endpoint refused a queued profile; it is moved to the dead-letter folder",
      );
      const kept = await host.deadLetter(item, {
        endpoint: label,
        status: result.last.httpStatus,
        error: result.last.message,
      });
      if (kept) host.metrics.deadLettered.inc({ endpoint: label });
      return "rejected";
    } finally {
      clearTimeout(timer);
      host.writeMetrics
        .series(first.metricLabel)
        .endpointLatency(item.kind)
        .observe((performance.now() - started) / 1000);
    }
  }

  #expired(entry: Entry): void {
    const label = this.#endpoint.metricLabel;
    this.#host.metrics.expired.inc({ endpoint: label });
    this.#host.writeMetrics.series(label).dropped(entry.bytes, entry.profiles);
  }

  #failedAttempt(f: Failure, retries: number, item: QueueItem): void {
    const endpoint = this.#endpoint;
    if (f.code === Code.Canceled) return;
    this.#lastError = f.message;
    this.#host.logger.debug(
      { endpoint: endpoint.displayUrl, retries, id: item.id, err: f.message },
      `failed to ${item.kind} queued profile to endpoint`,
    );
    if (!this.#failing) {
      this.#failing = true;
      this.#host.logger.warn(
        { endpoint: endpoint.displayUrl, err: f.message },
        "endpoint is failing; profiles stay queued and are retried",
      );
    }
  }

  #succeeded(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#host.logger.info({ endpoint: this.#endpoint.displayUrl }, "endpoint is accepting profiles again");
  }

  /** Takes a finished entry out of the backlog and moves the watermark over every finished entry. */
  #finish(entry: Entry): void {
    this.#items--;
    this.#bytes -= entry.bytes;
    const backlog = this.#host.backlog;
    if (backlog.firstAtOrAfter(this.#watermark) !== entry) {
      this.#doneAhead.add(entry.position);
      return;
    }
    this.#watermark = entry.position + entry.length;
    for (;;) {
      const next = backlog.firstAtOrAfter(this.#watermark);
      if (next === undefined || !this.#doneAhead.delete(next.position)) break;
      this.#watermark = next.position + next.length;
    }
    this.#host.onAdvance();
  }
}
