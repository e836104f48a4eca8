/**
 * The `pyroscope.capture` component: a receiver that stores every profile it gets on local disk instead of
 * sending it on, so profile-relay shows what it receives without a Pyroscope server, and the captures can be
 * sent to one later (`profile-relay replay`).
 *
 * The receiver is exported once, at construction, and stays the same across updates; an update that changes
 * `path` opens a new store there (the old one finishes its pending work and is left on disk).
 *
 * Under `run --workers=N` every worker writes into the same folder, each keeping its share of `max_size`
 * (see `store.ts`); `retention` applies to every capture as it is.
 */
import type { Logger } from "pino";
import {
  INVALID_LABELS_PREFIX,
  nameFollowsServiceName,
  validateLabels,
} from "../../../pyroscope/label-rules.ts";
import type { Labels } from "../../../pyroscope/labels.ts";
import {
  failure,
  type IngestRequest,
  OK,
  type Outcome,
  type PushRequest,
  RECEIVER_HOST_TYPE,
  type Receiver,
} from "../../../pyroscope/receiver.ts";
import type { Component, ComponentOptions, Health } from "../../../runtime/component.ts";
import { ingestEvent, outcomeAt, pushEvent } from "../../../runtime/livedebugging/event.ts";
import { type ComponentTap, liveTap } from "../../../runtime/livedebugging/hub.ts";
import { shareNote, shareOf } from "../../../runtime/worker-share.ts";
import { Capsule } from "../../../syntax/value.ts";
import type { CaptureArguments } from "./arguments.ts";
import { type CaptureDraft, ingestDraft, pushDraft } from "./draft.ts";
import { CaptureMetrics } from "./metrics.ts";
import { CaptureStore, StoreError, type StoreLimits } from "./store.ts";

/** Retention runs at least this often (and every tenth of `retention` when that is shorter). */
const MAX_RETENTION_INTERVAL_MS = 60_000;
const MIN_RETENTION_INTERVAL_MS = 1_000;

/** The running component. */
export class CaptureComponent implements Component<CaptureArguments>, Receiver {
  readonly #options: ComponentOptions;
  readonly #logger: Logger;
  readonly #metrics: CaptureMetrics;
  readonly #tap: ComponentTap;
  #store: CaptureStore | undefined;
  #args: CaptureArguments | undefined;
  #health: Health;
  readonly #retired = new Set<CaptureStore>();
  #wakeRetention: (() => void) | undefined;
  /** Set once the component runs: a component built by a load that then failed never runs, nor says so. */
  #running = false;
  /** The store whose folder the log has named, so it is said once per store. */
  #announced: CaptureStore | undefined;

  constructor(options: ComponentOptions, args: CaptureArguments) {
    this.#options = options;
    this.#logger = options.logger;
    this.#metrics = new CaptureMetrics(options.registry);
    this.#tap = liveTap(options);
    this.#health = { state: "healthy", message: "capture store ready", updatedTime: new Date() };
    this.update(args);
    options.onStateChange({ receiver: new Capsule<Receiver>(RECEIVER_HOST_TYPE, this) });
  }

  /** The folder captures are written to. */
  get path(): string {
    return this.#store!.root;
  }

  /** The store in use (for tests and tools). */
  get store(): CaptureStore {
    return this.#store!;
  }

  update(args: CaptureArguments): void {
    const root = args.path ?? this.#options.dataPath;
    const limits: StoreLimits = {
      maxSize: shareOf(args.max_size, this.#options.worker),
      maxSizeShare: shareNote("max_size", args.max_size, this.#options.worker, "bytes"),
      retentionMs: args.retention,
    };
    if (this.#store === undefined || this.#store.root !== root) {
      if (this.#store !== undefined) this.#retire(this.#store);
      const store = new CaptureStore(root, limits, {
        logger: this.#logger,
        metrics: this.#metrics,
        worker: this.#options.worker,
      });
      this.#store = store;
      void store.ready().then(() => {
        if (store !== this.#store) return;
        if (store.openError === undefined) {
          this.#setHealth("healthy", "capture store ready");
          if (this.#running) this.#announce(store);
        } else {
          this.#setHealth("unhealthy", `cannot open the capture store ${root}: ${store.openError}`);
        }
      });
    } else {
      this.#store.setLimits(limits);
    }
    this.#args = args;
    this.#wakeRetention?.();
  }

  health(): Health {
    return this.#health;
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#running = true;
    const store = this.#store!;
    void store.ready().then(() => {
      if (store === this.#store && store.openError === undefined) this.#announce(store);
    });
    while (!signal.aborted) {
      await this.#sleep(retentionInterval(this.#args!.retention), signal);
      if (signal.aborted) break;
      await this.#store!.enforce().catch((err: unknown) => {
        this.#logger.warn({ err: String(err) }, "enforcing capture retention");
      });
    }
    await Promise.allSettled([this.#store!.close(), ...[...this.#retired].map((s) => s.close())]);
  }

  async push(request: PushRequest): Promise<Outcome> {
    const invalid = refuseInvalidLabels(request.labels);
    if (invalid !== undefined) return invalid;
    let outcome: Outcome = OK;
    for (const sample of request.samples) {
      outcome = await this.#write(() => pushDraft(request.labels, sample), "push");
      if (!outcome.ok) break;
    }
    if (this.#tap.watched) this.#tap.publish(pushEvent(request, [outcomeAt("capture store", outcome)]));
    return outcome;
  }

  async ingest(request: IngestRequest): Promise<Outcome> {
    const invalid = refuseInvalidLabels(nameFollowsServiceName(request.labels));
    if (invalid !== undefined) return invalid;
    if (request.body.byteLength === 0) return OK;
    const outcome = await this.#write(() => ingestDraft(request), "ingest");
    if (this.#tap.watched) this.#tap.publish(ingestEvent(request, [outcomeAt("capture store", outcome)]));
    return outcome;
  }

  async #write(draft: () => CaptureDraft, route: "push" | "ingest"): Promise<Outcome> {
    const store = this.#store!;
    try {
      const record = await store.write(draft());
      const bytes = record.files.reduce((sum, f) => sum + f.size, 0);
      this.#metrics.profiles.inc({ route });
      this.#metrics.bytes.inc({ route }, bytes);
      if (this.#health.state !== "healthy") this.#setHealth("healthy", "capture store ready");
      this.#logger.debug({ id: record.id, service: record.service_name, bytes }, "captured a profile");
      return OK;
    } catch (err) {
      this.#metrics.errors.inc({ route });
      const status = err instanceof StoreError ? err.httpStatus : 500;
      const message = err instanceof Error ? err.message : String(err);
      this.#setHealth("unhealthy", `failed to capture a profile: ${message}`);
      this.#logger.error({ err: message, path: store.root }, "failed to capture a profile");
      return failure(status, message);
    }
  }

  /** Logs where profiles go, once per store. */
  #announce(store: CaptureStore): void {
    if (this.#announced === store) return;
    this.#announced = store;
    this.#logger.info({ path: store.root }, "capturing profiles");
  }

  #setHealth(state: Health["state"], message: string): void {
    this.#health = { state, message, updatedTime: new Date() };
  }

  #retire(store: CaptureStore): void {
    this.#retired.add(store);
    void store.close().finally(() => this.#retired.delete(store));
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wakeRetention = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#wakeRetention = done;
    });
  }
}

/**
 * What `pyroscope.write` answers for labels it could never send (its `validateLabels`, on the labels its push
 * or ingest path checks): the same 400, so a capture never stores what `replay` cannot send, and a client sees
 * the same answer whether the relay captures or forwards.
 */
function refuseInvalidLabels(labels: Labels): Outcome | undefined {
  const reason = validateLabels(labels);
  return reason === undefined ? undefined : failure(400, `${INVALID_LABELS_PREFIX}${reason}`);
}

/** How often retention runs for a given `retention`. */
export function retentionInterval(retentionMs: number): number {
  return Math.min(MAX_RETENTION_INTERVAL_MS, Math.max(MIN_RETENTION_INTERVAL_MS, retentionMs / 10));
}
