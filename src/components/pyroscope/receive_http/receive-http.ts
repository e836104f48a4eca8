/**
 * The `pyroscope.receive_http` component: an HTTP server that takes profiles from Pyroscope SDKs (`/ingest`)
 * and push-API clients (`/push.v1.PusherService/Push`), and OpenTelemetry profiles (OTLP/HTTP and OTLP/gRPC), and
 * hands them to the `forward_to` receivers.
 *
 * Updates follow Alloy: `forward_to` (and our body limits and `forward_headers`) apply to the next request at
 * once; the server is rebuilt only when the `http` block changed (deep equality). A rebuild that fails (port
 * taken, unreadable certificate) rejects the update and leaves the running server as it was.
 *
 * Under `run --workers=N` every worker serves the same port; `conn_limit` and `max_inflight_body_size` are the
 * relay's totals, so each worker enforces its share (`src/runtime/worker-share.ts`).
 */
import type { Logger } from "pino";
import type { Receiver } from "../../../pyroscope/receiver.ts";
import type { Component, ComponentOptions, Health, WorkerSlot } from "../../../runtime/component.ts";
import { deepEqual } from "../../../runtime/equality.ts";
import { liveTap } from "../../../runtime/livedebugging/hub.ts";
import { shareOf } from "../../../runtime/worker-share.ts";
import type { ReceiveHttpArguments } from "./arguments.ts";
import type { LiveSettings } from "./forward.ts";
import { createIngestHandler } from "./ingest.ts";
import { BODY_STALL_MS, InflightBudget } from "./limits.ts";
import { createOtlpMetrics, createServerMetrics } from "./metrics.ts";
import { createOtlpHandler } from "./otlp.ts";
import { createPushHandler } from "./push.ts";
import { createRouter } from "./router.ts";
import { HttpServer } from "./server.ts";

/** A running `pyroscope.receive_http`. Build it with `ReceiveHttp.create`. */
export class ReceiveHttp implements Component<ReceiveHttpArguments> {
  readonly #logger: Logger;
  readonly #worker: WorkerSlot;
  readonly #server: HttpServer;
  readonly #budget = new InflightBudget(0);
  #args: ReceiveHttpArguments | undefined;
  #live: LiveSettings;
  #updates: Promise<void> = Promise.resolve();
  #stopped = false;
  #health: Health = { state: "unknown", message: "starting", updatedTime: new Date() };

  private constructor(options: ComponentOptions) {
    this.#logger = options.logger;
    this.#worker = options.worker;
    const metrics = createServerMetrics(options.registry);
    this.#live = {
      receivers: [],
      forwardHeaders: [],
      bodyLimits: { maxBytes: 0, budget: this.#budget, timeoutMs: 0, stallMs: 0 },
      answerWithinMs: 0,
    };
    const settings = () => this.#live;
    const tap = liveTap(options);
    const routes = {
      ingest: createIngestHandler(settings, this.#logger, tap),
      push: createPushHandler(settings, this.#logger, tap),
      otlp: createOtlpHandler(settings, createOtlpMetrics(options.registry), this.#logger),
    };
    this.#server = new HttpServer(metrics, createRouter(routes, metrics, this.#logger), this.#logger);
  }

  /** Builds the component and starts its server; rejects if the server cannot start. */
  static async create(options: ComponentOptions, args: ReceiveHttpArguments): Promise<ReceiveHttp> {
    const component = new ReceiveHttp(options);
    await component.update(args);
    return component;
  }

  /** The port the server listens on (useful with `listen_port = 0`). */
  get port(): number | undefined {
    return this.#server.port;
  }

  update(args: ReceiveHttpArguments): Promise<void> {
    const next = this.#updates.then(() => this.#apply(args));
    this.#updates = next.catch(() => {});
    return next;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    this.#stopped = true;
    await this.#updates;
    this.#logger.info("terminating due to context done");
    await this.#server.stop(this.#args?.graceful_shutdown_timeout ?? 0);
  }

  health(): Health {
    return this.#health;
  }

  async #apply(args: ReceiveHttpArguments): Promise<void> {
    if (this.#stopped) return; // the component has exited: do not start a server again
    if (this.#args === undefined || !deepEqual(this.#args.http, args.http)) {
      try {
        // conn_limit is the relay's: each worker of `run --workers` takes its share
        const http = { ...args.http, conn_limit: shareOf(args.http.conn_limit, this.#worker) };
        await this.#server.apply(http, args.graceful_shutdown_timeout);
      } catch (err) {
        this.#health = { state: "unhealthy", message: (err as Error).message, updatedTime: new Date() };
        throw err;
      }
    }
    // the relay's total, shared among workers; a share never below the largest request, which must fit
    this.#budget.setLimit(shareOf(args.max_inflight_body_size, this.#worker, args.max_request_body_size));
    this.#live = {
      receivers: args.forward_to.filter((r): r is Receiver => r !== null && r !== undefined),
      forwardHeaders: args.forward_headers.map((h) => h.toLowerCase()),
      bodyLimits: {
        maxBytes: args.max_request_body_size,
        budget: this.#budget,
        timeoutMs: args.http.server_read_timeout,
        stallMs: BODY_STALL_MS,
      },
      answerWithinMs: args.http.server_write_timeout,
    };
    this.#args = args;
    this.#health = { state: "healthy", message: "started", updatedTime: new Date() };
  }
}
