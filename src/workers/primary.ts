/**
 * The primary process of `run --workers=N`: one relay seen from outside, its components run by N worker
 * processes (`src/workers/pool.ts`). The primary owns what there is one of: the agent's HTTP server
 * (`/metrics`, `/-/ready`, `/-/healthy`, `/-/reload`, the UI and its API), the config (read and validated
 * once, then the same bytes sent to every worker), the config metrics, and the signals (in `src/cli/run.ts`).
 *
 * A load applies to every worker or to none: a config that does not validate is refused before any worker
 * sees it (the error text is the one a single process gives); if a worker fails to load a valid one, every
 * worker goes back to the last good config and the load fails with that worker's error. A replaced worker
 * loads the last good config before it counts.
 */
import type { Logger } from "pino";
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { LoadOutcome } from "../runtime/agent.ts";
import type { HealthState, Stability } from "../runtime/component.ts";
import { parseConfig } from "../runtime/config-parse.ts";
import { defaultDecoder, isStdlibName } from "../runtime/decoder.ts";
import { LiveDebugging } from "../runtime/livedebugging/hub.ts";
import { createLogging, errorText, type Logging } from "../runtime/logging.ts";
import {
  ConfigMetrics,
  collectFamilies,
  METRICS_CONTENT_TYPE,
  type MetricFamily,
  registerBuildInfo,
} from "../runtime/metrics.ts";
import { planConfig } from "../runtime/plan.ts";
import type { ComponentRegistry } from "../runtime/registry.ts";
import { validateConfig } from "../runtime/validate-config.ts";
import { type AgentServer, startAgentServer } from "../server/agent-server.ts";
import type { ComponentJSON } from "../server/components-api.ts";
import { componentFigures } from "../server/figures.ts";
import { loadUiBundle, normalizePrefix } from "../server/ui-assets.ts";
import type { Figures } from "../server/web-json.ts";
import type { File } from "../syntax/ast.ts";
import { type Diagnostic, hasErrors, summarizeDiagnostics } from "../syntax/diagnostics.ts";
import { maskSecretMessages } from "../syntax/secret-literals.ts";
import { ConfigReadError, type ConfigSource, readConfigSources } from "../syntax/source.ts";
import { aggregateFamilies, labelWorker } from "./aggregate.ts";
import { WorkerPool } from "./pool.ts";
import type { LoadReply, StatusReply } from "./protocol.ts";

/** What `run` gives the primary. */
export interface PrimaryOptions {
  /** How many workers (2 or more). */
  readonly count: number;
  readonly configPath: string;
  readonly listenAddr: string;
  readonly storagePath: string;
  readonly uiPathPrefix?: string;
  readonly minStability: Stability;
  readonly stopDeadlineMs: number;
  /** The components, to validate configs (the workers build their own from the same modules). */
  readonly registry: ComponentRegistry;
  /** `--workers.metrics-per-worker`: label each worker's series `worker="<index>"` instead of merging them. */
  readonly metricsPerWorker?: boolean;
}

/** How long a worker may take to answer a question of the HTTP routes. */
const ASK_TIMEOUT_MS = 5_000;
/** How long open connections of the agent's HTTP server may take to finish at shutdown. */
const SERVER_CLOSE_GRACE_MS = 5_000;
/** The worst health first: the components API and `/-/healthy` show a component as its worst worker sees it. */
const HEALTH_RANK: Readonly<Record<HealthState, number>> = {
  unhealthy: 3,
  exited: 2,
  unknown: 1,
  healthy: 0,
};

/** The relay across its worker processes. */
export class Primary {
  readonly logger: Logger;
  readonly #options: PrimaryOptions;
  readonly #logging: Logging;
  readonly #metrics = new Registry();
  readonly #configMetrics: ConfigMetrics;
  readonly #runningComponents: Gauge<"controller_path" | "controller_id" | "health_type">;
  readonly #pool: WorkerPool;
  readonly #live = new LiveDebugging();
  #server: AgentServer | undefined;
  /** The sources every worker runs; `undefined` until the initial load succeeded. */
  #lastGood: readonly ConfigSource[] | undefined;
  #loads: Promise<unknown> = Promise.resolve();
  #stopped: Promise<void> | undefined;
  /** Whether the workers have been started (at the first valid config). */
  #started = false;

  private constructor(options: PrimaryOptions) {
    this.#options = options;
    this.#logging = createLogging({ deferred: true });
    this.logger = this.#logging.logger;
    collectDefaultMetrics({ register: this.#metrics });
    registerBuildInfo(this.#metrics);
    this.#configMetrics = new ConfigMetrics(this.#metrics);
    this.#runningComponents = new Gauge({
      name: "alloy_component_controller_running_components",
      help: "Total number of running components.",
      labelNames: ["controller_path", "controller_id", "health_type"],
      registers: [this.#metrics],
    });
    this.#pool = new WorkerPool({
      count: options.count,
      settings: {
        configPath: options.configPath,
        storagePath: options.storagePath,
        minStability: options.minStability,
        stopDeadlineMs: options.stopDeadlineMs,
      },
      logger: this.logger,
      registry: this.#metrics,
      onUp: (index) => this.#workerUp(index),
      onLiveEvent: (componentId, event) => {
        this.#live.tap(componentId);
        this.#live.publish(componentId, event);
      },
    });
    this.#live.onWatchChange(() =>
      this.#pool.broadcast({
        type: "live",
        watched: this.#live.watchedComponents(),
        counting: this.#live.counting,
      }),
    );
  }

  /**
   * Starts the agent's HTTP server; the workers start at the first load, once the config is valid. Rejects
   * with `failed to listen on <addr>: <why>`.
   */
  static async start(options: PrimaryOptions): Promise<Primary> {
    const primary = new Primary(options);
    primary.logger.info({ node_version: process.version, workers: options.count }, "starting profile-relay");
    const prefix = normalizePrefix(options.uiPathPrefix ?? "/");
    const bundle = loadUiBundle(prefix, primary.logger);
    try {
      primary.#server = await startAgentServer(
        options.listenAddr,
        {
          ready: () => primary.#lastGood !== undefined,
          unhealthyComponentNames: () => primary.#unhealthyNames(),
          reload: async () => ({ error: (await primary.reload()).error }),
          metrics: async () => ({ body: await primary.metrics(), contentType: METRICS_CONTENT_TYPE }),
          components: () => primary.#components(),
          component: (id) => primary.#component(id),
        },
        primary.logger,
        { prefix, bundle, liveDebugging: primary.#live, figures: (id) => primary.#figures(id) },
      );
    } catch (err) {
      primary.logger.error({ err: errorText(err) }, `failed to listen on ${options.listenAddr}`);
      primary.flushLogs();
      throw err;
    }
    return primary;
  }

  /** Reads the config from disk, validates it and applies it in every worker, or in none; one at a time. */
  reload(): Promise<LoadOutcome> {
    const next = this.#loads.then(() => this.#load());
    this.#loads = next.catch(() => {});
    return next;
  }

  /** The `/metrics` body: the primary's metrics and every worker's, merged into one set of series. */
  async metrics(): Promise<string> {
    const statuses = await this.#statuses();
    this.#runningComponents.reset();
    const counts = new Map<HealthState, number>();
    for (const c of mergedComponents(statuses)) {
      const state = c.health.state as HealthState;
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    for (const [health_type, n] of counts) {
      this.#runningComponents.set({ controller_path: "/", controller_id: "", health_type }, n);
    }
    const workers = await Promise.all(
      this.#pool.upIndexes().map(async (i) => {
        const families = await this.#pool
          .ask<MetricFamily[]>(i, { kind: "metrics" }, ASK_TIMEOUT_MS)
          .catch(() => []);
        return this.#options.metricsPerWorker === true ? labelWorker(families, i) : families;
      }),
    );
    const own = await collectFamilies([{ registry: this.#metrics }]);
    return aggregateFamilies(own, workers).metrics();
  }

  /** Writes out log lines held back before the `logging` block was known. */
  flushLogs(): void {
    this.#logging.sink.flush();
  }

  /** Stops the workers and the HTTP server without the shutdown log lines (the initial load failed). */
  async close(): Promise<void> {
    await this.#pool.stop();
    this.#live.setEnabled(false);
    await this.#server?.close(SERVER_CLOSE_GRACE_MS);
  }

  /**
   * Stops every worker (each stops its components as one process does, in-flight work finishing), then the
   * HTTP server. Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#stopped ??= (async () => {
      this.logger.info("shutting down");
      await this.#pool.stop();
      this.#live.setEnabled(false); // ends the UI's streams, which would hold the server open
      await this.#server?.close(SERVER_CLOSE_GRACE_MS);
      this.logger.info("shutdown complete");
      this.flushLogs();
    })();
    return this.#stopped;
  }

  /** Kills every worker at once (a second interrupt). */
  kill(): void {
    this.#pool.kill();
  }

  async #load(): Promise<LoadOutcome> {
    let read: ConfigSource[];
    try {
      read = await readConfigSources(this.#options.configPath);
    } catch (err) {
      if (!(err instanceof ConfigReadError)) throw err;
      this.#configMetrics.record(false, "0".repeat(64));
      return { error: err.message, diagnostics: [], sources: new Map(), secrets: new Map() };
    }
    const { sources, hash, files, parseDiagnostics, secrets } = parseConfig(read, this.#options.registry);
    const checked = maskSecretMessages(
      hasErrors(parseDiagnostics) ? parseDiagnostics : this.#check(files),
      secrets,
    );
    const errors = checked.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      this.#configMetrics.record(false, hash);
      return { error: summarizeDiagnostics(errors), diagnostics: checked, sources, secrets };
    }
    if (!this.#started) {
      // the workers start once there is a valid config for them
      try {
        await this.#pool.start();
        this.#started = true;
      } catch (err) {
        this.#configMetrics.record(false, hash);
        return { error: errorText(err), diagnostics: [], sources, secrets };
      }
    }
    const applied = await this.#applyEverywhere(read);
    this.#configMetrics.record(applied.error === undefined, hash);
    return { error: applied.error, diagnostics: applied.diagnostics, sources, secrets };
  }

  /**
   * The errors of a config, found without building anything: first what the controller checks before it
   * evaluates anything (the graph: unknown components, references, cycles), with the very diagnostics a
   * single process reports; then what `validate` finds evaluating each block (its arguments), which a
   * single process reports when it evaluates the component. Warnings are left to the workers to log.
   */
  #check(files: readonly File[]): Diagnostic[] {
    const options = {
      registry: this.#options.registry,
      minStability: this.#options.minStability,
      isStdlibName,
    };
    const plan = planConfig(files, { ...options, mode: "run" });
    if (hasErrors(plan.diagnostics)) return [...plan.diagnostics];
    return validateConfig(files, { ...options, decode: defaultDecoder }).filter(
      (d) => d.severity === "error",
    );
  }

  /** Loads `read` in every worker up; if one fails, every worker goes back to the last good config. */
  async #applyEverywhere(
    read: readonly ConfigSource[],
  ): Promise<{ error: string | undefined; diagnostics: readonly Diagnostic[] }> {
    const indexes = this.#pool.upIndexes();
    if (indexes.length === 0) {
      return {
        error: "no worker is running to load the config (they are being restarted); try again",
        diagnostics: [],
      };
    }
    const results = await Promise.all(
      indexes.map((index) =>
        this.#pool.ask<LoadReply>(index, { kind: "load", sources: read }).then(
          (reply) => ({ index, reply, error: reply.error }),
          (err: unknown) => ({ index, reply: undefined, error: `worker ${index}: ${errorText(err)}` }),
        ),
      ),
    );
    const failed = results.find((r) => r.error !== undefined);
    if (failed === undefined) {
      this.#lastGood = read;
      const reply = results[0]!.reply!;
      this.#logging.configure(reply.logging);
      this.#live.setEnabled(reply.liveDebugging);
      await this.#components(); // gives the live debugging hub a channel per component that has events
      return { error: undefined, diagnostics: reply.diagnostics };
    }
    const lastGood = this.#lastGood;
    if (lastGood !== undefined) {
      this.logger.warn(
        { worker: failed.index },
        "a worker could not load the new config; every worker goes back to the last good one",
      );
      await Promise.all(this.#pool.upIndexes().map((index) => this.#restore(index, lastGood)));
    }
    return { error: failed.error, diagnostics: failed.reply?.diagnostics ?? [] };
  }

  /** Loads the last good config in worker `index`; a worker that cannot is stopped (and replaced). */
  async #restore(index: number, lastGood: readonly ConfigSource[]): Promise<void> {
    let error: string | undefined;
    try {
      error = (await this.#pool.ask<LoadReply>(index, { kind: "load", sources: lastGood })).error;
    } catch (err) {
      error = errorText(err);
    }
    if (error === undefined) return;
    this.logger.error(
      { worker: index, err: error },
      "a worker could not load the last good config; replacing it",
    );
    this.#pool.recycle(index);
  }

  /** A worker is up: once the relay runs a config, a replacement loads it (after any load in progress). */
  #workerUp(index: number): void {
    if (!this.#started) return; // start-up: the initial load is for every worker
    const next = this.#loads.then(async () => {
      const lastGood = this.#lastGood;
      if (lastGood === undefined) return; // the initial load failed: the relay is stopping
      await this.#restore(index, lastGood);
      this.#pool.tell(index, {
        type: "live",
        watched: this.#live.watchedComponents(),
        counting: this.#live.counting,
      });
    });
    this.#loads = next.catch(() => {});
  }

  /** Every worker's status (those that answer in time), lowest index first. */
  async #statuses(): Promise<StatusReply[]> {
    const replies = await Promise.all(
      this.#pool
        .upIndexes()
        .map((i) =>
          this.#pool.ask<StatusReply>(i, { kind: "status" }, ASK_TIMEOUT_MS).catch(() => undefined),
        ),
    );
    return replies.filter((r): r is StatusReply => r !== undefined);
  }

  async #unhealthyNames(): Promise<string[]> {
    return [...new Set((await this.#statuses()).flatMap((s) => s.unhealthy))];
  }

  async #components(): Promise<ComponentJSON[]> {
    const merged = mergedComponents(await this.#statuses());
    for (const c of merged) if (c.liveDebuggingEnabled) this.#live.tap(c.localID);
    return merged;
  }

  async #component(id: string): Promise<ComponentJSON | undefined> {
    const first = this.#pool.upIndexes()[0];
    if (first === undefined) return undefined;
    const detail = await this.#pool
      .ask<ComponentJSON | undefined>(first, { kind: "component", id }, ASK_TIMEOUT_MS)
      .catch(() => undefined);
    if (detail === undefined) return undefined;
    const health = mergedComponents(await this.#statuses()).find((c) => c.localID === id)?.health;
    return health === undefined ? detail : { ...detail, health };
  }

  /** A component's figures for its UI page, from its metrics summed over the workers. */
  async #figures(id: string): Promise<Figures | undefined> {
    const detail = await this.#component(id);
    if (detail === undefined) return undefined;
    const perWorker = await Promise.all(
      this.#pool
        .upIndexes()
        .map((i) =>
          this.#pool
            .ask<MetricFamily[] | undefined>(i, { kind: "componentMetrics", id }, ASK_TIMEOUT_MS)
            .catch(() => undefined),
        ),
    );
    const present = perWorker.filter((f): f is MetricFamily[] => f !== undefined);
    return componentFigures(detail.name, AggregatorRegistry.aggregate(present));
  }
}

/**
 * The components as the first worker that answered lists them, each with the worst health any worker
 * reports for it (an unhealthy component in one worker is unhealthy for the relay).
 */
function mergedComponents(statuses: readonly StatusReply[]): ComponentJSON[] {
  const [first, ...rest] = statuses;
  if (first === undefined) return [];
  return first.components.map((component) => {
    let health = component.health;
    for (const status of rest) {
      const other = status.components.find((c) => c.localID === component.localID)?.health;
      if (other !== undefined && rank(other.state) > rank(health.state)) health = other;
    }
    return health === component.health ? component : { ...component, health };
  });
}

function rank(state: string): number {
  return HEALTH_RANK[state as HealthState] ?? 0;
}
