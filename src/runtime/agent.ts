/**
 * The running agent behind `profile-relay run`: logs, the agent's HTTP server, the controller, config
 * (re)loading with Alloy's config metrics, and shutdown. Signals and exit codes stay in `src/cli/run.ts`,
 * so the agent can be started in a test.
 *
 * Start-up follows `alloy run`: the HTTP server listens first (so `/metrics` answers and `/-/ready` says
 * 503 while loading), then the initial load runs; logs are held back until the `logging` block is known.
 */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { type AgentServer, startAgentServer } from "../server/agent-server.ts";
import { getComponent, listComponents } from "../server/components-api.ts";
import { componentFigures } from "../server/figures.ts";
import { loadUiBundle, normalizePrefix } from "../server/ui-assets.ts";
import { type Diagnostic, hasErrors, summarizeDiagnostics } from "../syntax/diagnostics.ts";
import { maskSecretMessages, type SecretLiterals } from "../syntax/secret-literals.ts";
import { ConfigReadError, type ConfigSource, readConfigSources } from "../syntax/source.ts";
import type { Stability, WorkerSlot } from "./component.ts";
import { parseConfig } from "./config-parse.ts";
import { Controller } from "./controller.ts";
import { type BodyDecoder, defaultDecoder, isStdlibName } from "./decoder.ts";
import { LiveDebugging } from "./livedebugging/hub.ts";
import { createLogging, errorText, type Logging, type LoggingConfig } from "./logging.ts";
import {
  ConfigMetrics,
  METRICS_CONTENT_TYPE,
  type MetricsSource,
  registerBuildInfo,
  renderMetrics,
} from "./metrics.ts";
import type { ComponentRegistry } from "./registry.ts";

export interface AgentOptions {
  /** A config file, or a directory of `*.alloy` files. */
  readonly configPath: string;
  /** `--server.http.listen-addr`. */
  readonly listenAddr: string;
  /** `--storage.path`. */
  readonly storagePath: string;
  /** `--server.http.ui-path-prefix` (`/` by default). */
  readonly uiPathPrefix?: string;
  /** Which worker process of `run --workers` this agent is (a single process when absent). */
  readonly worker?: WorkerSlot;
  /** `--stability.level`. */
  readonly minStability: Stability;
  /** How long one component may take to stop (`--feature.component-shutdown-deadline`). */
  readonly stopDeadlineMs: number;
  readonly registry: ComponentRegistry;
  /** Where log lines go (standard error by default). */
  readonly logOut?: (text: string) => void;
  readonly decode?: BodyDecoder;
}

/** The options of an agent without an HTTP server (a worker of `run --workers`). */
export type WorkerAgentOptions = Omit<AgentOptions, "listenAddr" | "uiPathPrefix">;

/** The result of one load attempt. */
export interface LoadOutcome {
  /** Why the load failed, as `/-/reload` reports it; `undefined` when it succeeded. */
  readonly error: string | undefined;
  /** Every diagnostic of the attempt (for the pretty printer). */
  readonly diagnostics: readonly Diagnostic[];
  /** The text of each file read, by name (for the pretty printer). */
  readonly sources: ReadonlyMap<string, string>;
  /** Secrets written into the files, for the pretty printer to mask (messages are masked already). */
  readonly secrets: SecretLiterals;
}

/** How long open connections of the agent's HTTP server may take to finish at shutdown. */
const SERVER_CLOSE_GRACE_MS = 5_000;

export class Agent {
  readonly logger: Logger;
  readonly controller: Controller;
  readonly #options: WorkerAgentOptions;
  readonly #logging: Logging;
  readonly #metrics: Registry;
  /** Absent in a worker of `run --workers`: the primary owns the relay's config metrics. */
  readonly #configMetrics: ConfigMetrics | undefined;
  /** Live debugging (the `livedebugging` block turns it on). */
  readonly liveDebugging = new LiveDebugging();
  #server: AgentServer | undefined;
  #reloads: Promise<unknown> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  private constructor(options: WorkerAgentOptions) {
    this.#options = options;
    this.#logging = createLogging({ out: options.logOut, deferred: true });
    const worker = options.worker;
    const inPool = worker !== undefined && worker.count > 1;
    // a worker's lines carry `worker=<index>`, so the one stream of a relay says which process wrote each
    this.logger = inPool ? this.#logging.logger.child({ worker: worker.index }) : this.#logging.logger;
    this.#metrics = new Registry();
    collectDefaultMetrics({ register: this.#metrics });
    if (!inPool) registerBuildInfo(this.#metrics);
    this.#configMetrics = inPool ? undefined : new ConfigMetrics(this.#metrics);
    this.controller = new Controller({
      registry: options.registry,
      logger: this.logger,
      storagePath: options.storagePath,
      worker: options.worker,
      minStability: options.minStability,
      decode: options.decode ?? defaultDecoder,
      isStdlibName,
      modulePath: modulePath(options.configPath),
      metricsRegistry: this.#metrics,
      onLoggingConfig: (config) => this.#logging.configure(config),
      onLiveDebuggingConfig: (config) => this.liveDebugging.setEnabled(config.enabled),
      liveDebugging: this.liveDebugging,
      stopDeadlineMs: options.stopDeadlineMs,
    });
  }

  /**
   * Creates the agent and starts its HTTP server. Rejects (with `failed to listen on <addr>: <why>`) when
   * the address cannot be used; the reason is also logged.
   */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = Agent.create(options);
    const prefix = normalizePrefix(options.uiPathPrefix ?? "/");
    const bundle = loadUiBundle(prefix, agent.logger);
    try {
      agent.#server = await startAgentServer(
        options.listenAddr,
        {
          ready: () => agent.controller.ready,
          unhealthyComponentNames: () => agent.unhealthyComponentNames(),
          reload: async () => ({ error: (await agent.reload()).error }),
          metrics: async () => ({ body: await agent.metrics(), contentType: METRICS_CONTENT_TYPE }),
          components: () => listComponents(agent.controller, agent.liveDebugging),
          component: (id) => getComponent(agent.controller, id, agent.liveDebugging),
        },
        agent.logger,
        {
          prefix,
          bundle,
          liveDebugging: agent.liveDebugging,
          figures: async (id) => {
            const node = agent.controller.node(id);
            return node === undefined ? undefined : componentFigures(node.name, node.registry);
          },
        },
      );
    } catch (err) {
      agent.logger.error({ err: errorText(err) }, `failed to listen on ${options.listenAddr}`);
      agent.flushLogs();
      throw err;
    }
    return agent;
  }

  /**
   * Creates the agent without an HTTP server: a worker of `run --workers`, whose primary serves the agent's
   * routes for the whole relay.
   */
  static create(options: WorkerAgentOptions): Agent {
    const agent = new Agent(options);
    agent.logger.info({ node_version: process.version }, "starting profile-relay");
    return agent;
  }

  /** Where the agent's HTTP server listens. */
  get address(): { readonly address: string; readonly port: number } {
    return this.#server!.address;
  }

  /** The `/metrics` body: the agent's metrics, then every component's. */
  metrics(): Promise<string> {
    return renderMetrics(this.metricsSources());
  }

  /** The registries behind `/metrics`: the agent's own, then every component's (labelled). */
  metricsSources(): MetricsSource[] {
    return [{ registry: this.#metrics }, ...this.controller.metricsSources()];
  }

  /** The `logging` block in force (Alloy's defaults before a config is loaded). */
  get loggingConfig(): LoggingConfig {
    return this.#logging.sink.config;
  }

  /** Reads the config from disk and applies it; one load at a time. */
  reload(): Promise<LoadOutcome> {
    return this.#serialized(async () => {
      let read: ConfigSource[];
      try {
        read = await readConfigSources(this.#options.configPath);
      } catch (err) {
        if (!(err instanceof ConfigReadError)) throw err;
        // Alloy records the hash of a source it could not read as all zeros.
        this.#configMetrics?.record(false, "0".repeat(64));
        return { error: err.message, diagnostics: [], sources: new Map(), secrets: new Map() };
      }
      return this.#load(read);
    });
  }

  /**
   * Applies config sources read elsewhere (a worker of `run --workers` gets them from its primary, so every
   * worker loads the same bytes); one load at a time, as `reload`.
   */
  loadSources(read: readonly ConfigSource[]): Promise<LoadOutcome> {
    return this.#serialized(() => this.#load(read));
  }

  #serialized(load: () => Promise<LoadOutcome>): Promise<LoadOutcome> {
    const next = this.#reloads.then(load);
    this.#reloads = next.catch(() => {});
    return next;
  }

  async #load(read: readonly ConfigSource[]): Promise<LoadOutcome> {
    const { sources, hash, files, parseDiagnostics, secrets } = parseConfig(read, this.#options.registry);
    const diagnostics = maskSecretMessages(
      hasErrors(parseDiagnostics) ? parseDiagnostics : await this.controller.load(files),
      secrets,
    );
    const errors = diagnostics.filter((d) => d.severity === "error");
    this.#configMetrics?.record(errors.length === 0, hash);
    return {
      error: errors.length === 0 ? undefined : summarizeDiagnostics(errors),
      diagnostics,
      sources,
      secrets,
    };
  }

  /** Writes out log lines held back before the `logging` block was known (with the default format). */
  flushLogs(): void {
    this.#logging.sink.flush();
  }

  /** Closes the HTTP server without logging; for an agent whose initial load failed (nothing runs). */
  async close(): Promise<void> {
    await this.controller.shutdown();
    this.liveDebugging.setEnabled(false); // ends the UI's streams, which would hold the server open
    await this.#server?.close(SERVER_CLOSE_GRACE_MS);
  }

  /**
   * Stops every component (dependants first, each within the stop deadline), then the HTTP server.
   * Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#stopped ??= (async () => {
      this.logger.info("shutting down");
      await this.controller.shutdown();
      this.liveDebugging.setEnabled(false); // ends the UI's streams, which would hold the server open
      await this.#server?.close(SERVER_CLOSE_GRACE_MS);
      this.logger.info("shutdown complete");
      this.flushLogs();
    })();
    return this.#stopped;
  }

  /** One name per unhealthy component (`unknown` and `exited` do not count), as `/-/healthy` lists them. */
  unhealthyComponentNames(): string[] {
    return this.controller
      .nodes()
      .filter((n) => n.health().state === "unhealthy")
      .map((n) => n.name);
  }
}

/** `module_path`: the config directory, or the directory of the config file (Alloy's `ExtractDirPath`). */
function modulePath(configPath: string): string {
  try {
    return statSync(configPath).isDirectory() ? configPath : dirname(configPath);
  } catch {
    return dirname(configPath);
  }
}
