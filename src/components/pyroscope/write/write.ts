/**
 * The `pyroscope.write` component: exports one `receiver` as soon as it is built, and forwards every profile
 * it is given to all configured endpoints.
 *
 * The exported receiver stays the same object for the component's life; `update(args)` builds the new
 * endpoints first (a configuration that cannot work is rejected and the old one stays), then swaps them in
 * atomically. Calls already running finish on the endpoints they started with, whose connections are closed
 * once those calls are done. When `run` ends, in-flight calls give up and later calls fail.
 *
 * With a `queue` block the receiver appends to a durable queue instead (see `queue/queue.ts`); the queue
 * lives across updates while its path stays the same (its endpoints and settings are updated in place). A new
 * path opens another queue and the old one hands what is still waiting over to it, in the background
 * (`Queue.handOver`); removing the `queue` block leaves the waiting items in the folder, logged and counted.
 *
 * Under `run --workers=N` each worker opens its own shard of the queue folder, with its share of `max_size`
 * and `max_inflight_per_endpoint`, and adopts the shards of workers a higher count left (`queue/shards.ts`).
 */
import { resolve } from "node:path";

import type { ProxyEnvironment } from "../../../http/proxy.ts";
import { failure, type Outcome, RECEIVER_HOST_TYPE, type Receiver } from "../../../pyroscope/receiver.ts";
import {
  type Component,
  type ComponentOptions,
  type Health,
  SINGLE_PROCESS,
  type WorkerSlot,
} from "../../../runtime/component.ts";
import { health } from "../../../runtime/health.ts";
import { type ComponentTap, liveTap } from "../../../runtime/livedebugging/hub.ts";
import { shareNote, shareOf } from "../../../runtime/worker-share.ts";
import { Capsule } from "../../../syntax/value.ts";
import type { QueueArguments, WriteArguments } from "./arguments.ts";
import { DirectWrite } from "./direct.ts";
import { Endpoint } from "./endpoint.ts";
import { WriteMetrics } from "./metrics.ts";
import { QueueMetrics } from "./queue/metrics.ts";
import { Queue, type QueueContext, type QueueSettings } from "./queue/queue.ts";
import { ShardAdoption, shardPath } from "./queue/shards.ts";
import { QueuedWrite } from "./queued.ts";

/** Test seams. */
export interface WriteHooks {
  /** Jitter source for backoff. */
  readonly random?: () => number;
  /** The environment `proxy_from_environment` reads (default `process.env`). */
  readonly env?: ProxyEnvironment;
  /** The wait between attempts; resolves false when aborted. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
  /** Queue seams: the clock, segment size, stuck threshold, cache size. */
  readonly queue?: Pick<QueueContext, "now" | "segmentBytes" | "stuckAfterMs" | "cacheBytes">;
  /** How long a shard adoption that could not finish waits before trying again (`ADOPT_RETRY_MS`). */
  readonly adoptRetryMs?: number;
}

/** The configured queue folder of a `queue` block: `path`, else the component's data folder. */
export function queueBase(args: QueueArguments, dataPath: string): string {
  return resolve(args.path ?? dataPath);
}

/**
 * The queue settings of worker `worker`: its shard of the folder, and its share of the limits the user sets for
 * the whole relay (`max_size`, `max_inflight_per_endpoint`; at least one in flight per worker).
 */
export function queueSettings(
  args: QueueArguments,
  dataPath: string,
  worker: WorkerSlot = SINGLE_PROCESS,
): QueueSettings {
  return {
    path: shardPath(queueBase(args, dataPath), worker),
    maxSize: shareOf(args.max_size, worker),
    maxSizeShare: shareNote("the queue's max_size", args.max_size, worker, "bytes"),
    maxAgeMs: args.max_age,
    fsync: args.fsync,
    maxInflight: shareOf(args.max_inflight_per_endpoint, worker),
  };
}

/** A running `pyroscope.write`. Build with `WriteComponent.create`. */
export class WriteComponent implements Component<WriteArguments> {
  readonly #options: ComponentOptions;
  readonly #metrics: WriteMetrics;
  readonly #hooks: WriteHooks;
  readonly #lifetime = new AbortController();
  readonly #createdAt = new Date();
  /** Live debugging of the profiles written, with each endpoint's outcome. */
  readonly #tap: ComponentTap;
  #current: DirectWrite | undefined;
  /** What the exported receiver delegates to: the direct write, or the queued one. */
  #target: Receiver | undefined;
  #queue: Queue | undefined;
  #queueMetrics: QueueMetrics | undefined;
  /** The adoption of other workers' shards into `#queue`, while it runs. */
  #adoption: ShardAdoption | undefined;
  /** The hand-over from the previous queue to the current one, while it runs. */
  #handingOver: Promise<void> = Promise.resolve();
  #updating: Promise<void> = Promise.resolve();
  #exited = false;

  /** The exported receiver: always delegates to the current configuration. */
  readonly receiver: Receiver;

  private constructor(options: ComponentOptions, hooks: WriteHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#metrics = new WriteMetrics(options.registry);
    this.#tap = liveTap(options);
    this.receiver = {
      push: (request) => this.#dispatch((f) => f.push(request)),
      ingest: (request) => this.#dispatch((f) => f.ingest(request)),
    };
  }

  /** Builds the component with its first arguments and exports its receiver. */
  static async create(
    options: ComponentOptions,
    args: WriteArguments,
    hooks: WriteHooks = {},
  ): Promise<WriteComponent> {
    const component = new WriteComponent(options, hooks);
    await component.update(args);
    options.onStateChange({ receiver: new Capsule(RECEIVER_HOST_TYPE, component.receiver) });
    return component;
  }

  #dispatch(call: (r: Receiver) => Promise<Outcome>): Promise<Outcome> {
    const current = this.#target;
    if (this.#exited || current === undefined) {
      return Promise.resolve(failure(503, `${this.#options.id} has exited`));
    }
    return call(current);
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    this.#exited = true;
    this.#lifetime.abort();
    await this.#updating.catch(() => {});
    await this.#adoption?.stop();
    await this.#handingOver;
    await this.#queue?.close();
    const current = this.#current;
    if (current !== undefined) {
      await current.idle();
      await current.close();
    }
  }

  /** Healthy, unless a queued endpoint is stuck or writing to the queue fails (see `Queue.health`). */
  health(): Health {
    return this.#queue?.health() ?? health("healthy", "component healthy", this.#createdAt);
  }

  update(args: WriteArguments): Promise<void> {
    const next = this.#updating.then(() => this.#apply(args));
    this.#updating = next.catch(() => {});
    return next;
  }

  async #apply(args: WriteArguments): Promise<void> {
    const logger = this.#options.logger;
    const empty = args.endpoint.findIndex((e) => e.url === "");
    if (empty >= 0) {
      const which = args.endpoint[empty]?.name || String(empty + 1);
      throw new Error(
        `the url of endpoint ${which} is empty: set it to the base URL of the Pyroscope server, e.g. "http://pyroscope:4040" (sys.env returns "" for a variable that is not set)`,
      );
    }
    const built = await Promise.allSettled(
      args.endpoint.map((e) => Endpoint.create(e, { logger, env: this.#hooks.env })),
    );
    const failed = built.find((r): r is PromiseRejectedResult => r.status === "rejected");
    const endpoints = built.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    if (failed !== undefined) {
      await Promise.allSettled(endpoints.map((e) => e.close()));
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    let queue: Queue | undefined;
    // A previous hand-over must be over first: it still holds the folder it moves out of.
    await this.#handingOver;
    if (args.queue !== undefined) {
      try {
        queue = await this.#openQueue(args.queue);
      } catch (err) {
        await Promise.allSettled(endpoints.map((e) => e.close()));
        throw err;
      }
    }
    const external = args.external_labels ?? {};
    const direct = new DirectWrite(endpoints, external, {
      metrics: this.#metrics,
      logger,
      lifetime: this.#lifetime.signal,
      random: this.#hooks.random,
      sleep: this.#hooks.sleep,
      tap: this.#tap,
    });
    const previous = this.#current;
    const previousQueue = this.#queue;
    this.#current = direct;
    this.#queue = queue;
    if (queue !== undefined) {
      queue.setEndpoints(endpoints);
      this.#target = new QueuedWrite(queue, external, this.#metrics, this.#tap, this.#hooks.queue?.now);
    } else {
      this.#target = direct;
    }
    if (queue !== previousQueue) await this.#adopt(queue, args.queue);
    if (previousQueue !== undefined && previousQueue !== queue) {
      if (queue === undefined) {
        await previousQueue.retire();
      } else {
        this.#handingOver = previousQueue.handOver(queue, this.#lifetime.signal).catch((err: unknown) => {
          logger.error({ err, path: previousQueue.path }, "moving the queue to its new folder failed");
          return previousQueue.close();
        });
      }
    }
    if (previous !== undefined) {
      void previous.idle().then(() => previous.close());
    }
    if (this.#exited) {
      await queue?.close();
      await direct.close();
    }
  }

  /** Stops adopting into the previous queue; starts adopting the shards other workers left into `queue`. */
  async #adopt(queue: Queue | undefined, args: QueueArguments | undefined): Promise<void> {
    await this.#adoption?.stop();
    this.#adoption = undefined;
    if (queue === undefined || args === undefined || this.#exited) return;
    const { dataPath, logger, worker } = this.#options;
    this.#adoption = new ShardAdoption(
      queue,
      queueBase(args, dataPath),
      worker,
      logger,
      this.#hooks.adoptRetryMs,
    );
    this.#adoption.start();
  }

  /** The queue for `args`: the open one updated in place when its path is the same, else a new one. */
  async #openQueue(args: QueueArguments): Promise<Queue> {
    const settings = queueSettings(args, this.#options.dataPath, this.#options.worker);
    const open = this.#queue;
    if (open !== undefined && open.path === settings.path) {
      open.update(settings);
      return open;
    }
    this.#queueMetrics ??= new QueueMetrics(this.#options.registry);
    return Queue.open(settings, {
      logger: this.#options.logger,
      metrics: this.#queueMetrics,
      writeMetrics: this.#metrics,
      random: this.#hooks.random,
      sleep: this.#hooks.sleep,
      ...this.#hooks.queue,
    });
  }
}
