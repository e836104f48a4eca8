/**
 * The `pyroscope.write` component: exports one `receiver` as soon as it is built, and forwards every profile
 * it is given to all configured endpoints.
 *
 * The exported receiver stays the same object for the component's life; `update(args)` builds the new
 * endpoints first (a configuration that cannot work is rejected and the old one stays), then swaps them in
 * atomically. Calls already running finish on the endpoints they started with, whose connections are closed
 * once those calls are done. When `run` ends, in-flight calls give up and later calls fail.
 */

import type { ProxyEnvironment } from "../../../http/proxy.ts";
import { type Outcome, RECEIVER_HOST_TYPE, type Receiver } from "../../../pyroscope/receiver.ts";
import type { Component, ComponentOptions } from "../../../runtime/component.ts";
import { Capsule } from "../../../syntax/value.ts";
import type { WriteArguments } from "./arguments.ts";
import { Endpoint } from "./endpoint.ts";
import { FanOut } from "./fan-out.ts";
import { WriteMetrics } from "./metrics.ts";

/** Test seams. */
export interface WriteHooks {
  /** Jitter source for backoff. */
  readonly random?: () => number;
  /** The environment `proxy_from_environment` reads (default `process.env`). */
  readonly env?: ProxyEnvironment;
  /** The wait between attempts; resolves false when aborted. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

/** A running `pyroscope.write`. Build with `WriteComponent.create`. */
export class WriteComponent implements Component<WriteArguments> {
  readonly #options: ComponentOptions;
  readonly #metrics: WriteMetrics;
  readonly #hooks: WriteHooks;
  readonly #lifetime = new AbortController();
  #current: FanOut | undefined;
  #updating: Promise<void> = Promise.resolve();
  #exited = false;

  /** The exported receiver: always delegates to the current configuration. */
  readonly receiver: Receiver;

  private constructor(options: ComponentOptions, hooks: WriteHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#metrics = new WriteMetrics(options.registry);
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

  #dispatch(call: (f: FanOut) => Promise<Outcome>): Promise<Outcome> {
    const current = this.#current;
    if (this.#exited || current === undefined) {
      return Promise.resolve({
        status: "failed",
        httpStatus: 503,
        message: `${this.#options.id} has exited`,
      });
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
    const current = this.#current;
    if (current !== undefined) {
      await current.idle();
      await current.close();
    }
  }

  update(args: WriteArguments): Promise<void> {
    const next = this.#updating.then(() => this.#apply(args));
    this.#updating = next.catch(() => {});
    return next;
  }

  async #apply(args: WriteArguments): Promise<void> {
    const logger = this.#options.logger;
    const built = await Promise.allSettled(
      args.endpoint.map((e) => Endpoint.create(e, { logger, env: this.#hooks.env })),
    );
    const failed = built.find((r): r is PromiseRejectedResult => r.status === "rejected");
    const endpoints = built.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    if (failed !== undefined) {
      await Promise.allSettled(endpoints.map((e) => e.close()));
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    const fanOut = new FanOut(endpoints, args.external_labels ?? {}, {
      metrics: this.#metrics,
      logger,
      lifetime: this.#lifetime.signal,
      random: this.#hooks.random,
      sleep: this.#hooks.sleep,
    });
    const previous = this.#current;
    this.#current = fanOut;
    if (previous !== undefined) {
      void previous.idle().then(() => previous.close());
    }
    if (this.#exited) {
      await fanOut.close();
    }
  }
}
