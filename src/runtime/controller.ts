/**
 * The controller: Alloy's `Runtime` + `Loader` + `Scheduler` in one async object. `load` applies a config
 * (parsed files) the way `Loader.Apply` does; exports published later re-evaluate dependants; `shutdown`
 * stops everything in reverse dependency order.
 *
 * Load semantics (§3.6 of the spec):
 * - graph errors (unknown component, duplicate, bad reference, cycle) change nothing;
 * - the first load applies only when there is no error at all; until then nothing is built-and-run;
 * - later loads apply even when some components fail to evaluate: those keep their last good arguments
 *   and become unhealthy, and the errors are still reported;
 * - a component whose arguments did not change is not updated; removed components are stopped (freeing
 *   their ports) before new ones are started.
 *
 * Every operation that evaluates or starts components runs one at a time.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { File } from "../syntax/ast.ts";
import { type Diagnostic, hasErrors, summarizeDiagnostics } from "../syntax/diagnostics.ts";
import type { BodySchema, Fields } from "../syntax/schema.ts";
import type { ObjectValue, Value } from "../syntax/value.ts";
import { SINGLE_PROCESS, type Stability, type WorkerSlot } from "./component.ts";
import { ComponentNode } from "./component-node.ts";
import type { BodyDecoder } from "./decoder.ts";
import { Graph } from "./graph.ts";
import {
  DEFAULT_LIVE_DEBUGGING,
  type LiveDebuggingConfig,
  liveDebuggingSchema,
} from "./livedebugging/block.ts";
import type { LiveDebugging } from "./livedebugging/hub.ts";
import { DEFAULT_LOGGING, errorText, type LoggingConfig } from "./logging.ts";
import { loggingSchema, toLoggingConfig } from "./logging-block.ts";
import { ControllerMetrics, type MetricsSource } from "./metrics.ts";
import { type ConfigPlan, type PlannedBlock, planConfig } from "./plan.ts";
import type { ComponentRegistry } from "./registry.ts";
import { buildScope } from "./scope.ts";

export interface ControllerOptions {
  readonly registry: ComponentRegistry;
  /** The root logger; components get children of it. */
  readonly logger: Logger;
  /** `--storage.path`. */
  readonly storagePath: string;
  /** Which worker process this is (a single process when absent). */
  readonly worker?: WorkerSlot;
  readonly minStability: Stability;
  readonly decode: BodyDecoder;
  /** Whether a top-level identifier is a stdlib name (see `PlanOptions`). */
  readonly isStdlibName: (name: string) => boolean;
  /** The directory of the config path (`module_path` in expressions). */
  readonly modulePath?: string;
  /** Where the controller's own metrics go, if anywhere. */
  readonly metricsRegistry?: Registry;
  /** Applies the `logging` block (defaults when there is none) after each successful load. */
  readonly onLoggingConfig?: (config: LoggingConfig) => void;
  /** Applies the `livedebugging` block (off when there is none) after each successful load. */
  readonly onLiveDebuggingConfig?: (config: LiveDebuggingConfig) => void;
  /** The live debugging hub components publish to; none in tests that do not need it. */
  readonly liveDebugging?: LiveDebugging;
  /** How long to wait for one component to stop (Alloy's `--feature.component-shutdown-deadline`). */
  readonly stopDeadlineMs?: number;
}

const DEFAULT_STOP_DEADLINE_MS = 10 * 60 * 1000;

export class Controller {
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  readonly #metrics: ControllerMetrics | undefined;

  #nodes = new Map<string, ComponentNode>();
  #graph = new Graph();
  #order: readonly string[] = [];
  #loadedOnce = false;
  #shuttingDown = false;

  #chain: Promise<unknown> = Promise.resolve();
  /** Nodes whose exports changed, with when they first changed since their dependants were last evaluated. */
  #queue = new Map<ComponentNode, number>();
  /** Dependants being re-evaluated now that have not been yet. */
  #pending = new Set<string>();
  #queueScheduled = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#metrics =
      options.metricsRegistry === undefined
        ? undefined
        : new ControllerMetrics(
            options.metricsRegistry,
            () => [...this.#nodes.values()].map((n) => n.health().state),
            () => this.#waitingCount(),
          );
  }

  /** Whether a config has been applied (Alloy's readiness). */
  get ready(): boolean {
    return this.#loadedOnce;
  }

  /** The components of the applied config, dependencies first. */
  nodes(): ComponentNode[] {
    return this.#order.map((id) => this.#nodes.get(id)).filter((n): n is ComponentNode => n !== undefined);
  }

  node(id: string): ComponentNode | undefined {
    return this.#nodes.get(id);
  }

  /** The IDs `id` references. */
  referencesTo(id: string): string[] {
    return this.#graph.has(id) ? this.#graph.dependencies(id) : [];
  }

  /** The IDs that reference `id`. */
  referencedBy(id: string): string[] {
    return this.#graph.has(id) ? this.#graph.dependants(id) : [];
  }

  /** Every component's registry, labelled for `/metrics`. */
  metricsSources(): MetricsSource[] {
    return this.nodes().map((n) => ({
      registry: n.registry,
      labels: { component_id: n.id, component_path: "/" },
    }));
  }

  /**
   * Applies a config. Resolves to every diagnostic (errors and warnings); the load failed when there is an
   * error, and then the previous config (if any) keeps running, apart from the per-component evaluation
   * failures of a reload described above.
   */
  load(files: readonly File[]): Promise<Diagnostic[]> {
    return this.#exclusive(() => this.#load(files));
  }

  /** Stops every component, dependants first, and refuses further loads. */
  shutdown(): Promise<void> {
    this.#shuttingDown = true;
    return this.#exclusive(async () => {
      const deadline = this.#options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
      for (const id of [...this.#order].reverse()) {
        await this.#nodes.get(id)?.stop(deadline);
      }
    });
  }

  /** Resolves once queued re-evaluations (after export changes) are done. For tests and shutdown. */
  async settled(): Promise<void> {
    for (;;) {
      await this.#idle;
      await this.#chain;
      if (this.#queue.size === 0 && !this.#queueScheduled) return;
    }
  }

  async #load(files: readonly File[]): Promise<Diagnostic[]> {
    if (this.#shuttingDown) {
      return [{ severity: "error", message: "profile-relay is shutting down" }];
    }
    this.#metrics?.setEvaluating(true);
    try {
      const plan = planConfig(files, {
        registry: this.#options.registry,
        minStability: this.#options.minStability,
        mode: "run",
        isStdlibName: this.#options.isStdlibName,
      });
      for (const w of plan.warnings) {
        this.#log.warn(w.fields, w.message);
      }
      if (hasErrors(plan.diagnostics)) {
        return [...plan.diagnostics];
      }
      const diagnostics: Diagnostic[] = [...plan.diagnostics];

      const logging = this.#evaluateLogging(plan, diagnostics);
      const liveDebugging = this.#evaluateLiveDebugging(plan, diagnostics);
      const initial = !this.#loadedOnce;
      if (initial && hasErrors(diagnostics)) {
        return diagnostics;
      }

      const next = this.#nextNodes(plan);
      this.#log.info("starting complete graph evaluation");
      const started = performance.now();
      for (const id of plan.order) {
        const node = next.get(id)!;
        const t0 = performance.now();
        const result = await node.evaluate(this.#scope(next));
        const seconds = (performance.now() - t0) / 1000;
        this.#metrics?.observeEvaluation(id, seconds);
        this.#log.debug(
          { node_id: id, duration: `${(seconds * 1000).toFixed(3)}ms` },
          "finished node evaluation",
        );
        if (hasErrors(result)) {
          this.#logEvaluationError(id, result);
        }
        diagnostics.push(...result);
      }
      this.#log.info(
        { duration: `${Math.round(performance.now() - started)}ms` },
        "finished complete graph evaluation",
      );

      if (initial && hasErrors(diagnostics)) {
        return diagnostics;
      }

      if (logging !== undefined) {
        this.#options.onLoggingConfig?.(logging);
      }
      if (liveDebugging !== undefined) {
        this.#options.onLiveDebuggingConfig?.(liveDebugging);
      }
      const previous = this.#nodes;
      const previousOrder = this.#order;
      this.#nodes = next;
      this.#graph = plan.graph;
      this.#order = plan.order;
      this.#loadedOnce = true;
      await this.#synchronize(previous, previousOrder);
      return diagnostics;
    } finally {
      this.#metrics?.setEvaluating(false);
    }
  }

  /** Decodes the `logging` block (defaults without one); `undefined` when it has errors. */
  #evaluateLogging(plan: ConfigPlan, diagnostics: Diagnostic[]): LoggingConfig | undefined {
    if (plan.logging === undefined) return DEFAULT_LOGGING;
    const decoded = this.#decodeConfigBlock(plan.logging, loggingSchema, diagnostics);
    return decoded === undefined
      ? undefined
      : toLoggingConfig(decoded.value as { level: string; format: string });
  }

  /** Decodes the `livedebugging` block (off without one); `undefined` when it has errors. */
  #evaluateLiveDebugging(plan: ConfigPlan, diagnostics: Diagnostic[]): LiveDebuggingConfig | undefined {
    if (plan.livedebugging === undefined) return DEFAULT_LIVE_DEBUGGING;
    const decoded = this.#decodeConfigBlock(plan.livedebugging, liveDebuggingSchema, diagnostics);
    return decoded === undefined ? undefined : { enabled: (decoded.value as { enabled: boolean }).enabled };
  }

  /**
   * Decodes a config block (`logging`, `livedebugging`) against `schema`, in a scope without component
   * exports (the blocks are evaluated before any component); adds its diagnostics to `diagnostics`;
   * `undefined` when it has errors.
   */
  #decodeConfigBlock<F extends Fields>(
    planned: PlannedBlock,
    schema: BodySchema<F>,
    diagnostics: Diagnostic[],
  ): { readonly value: unknown } | undefined {
    const { block, file } = planned;
    const result = this.#options.decode(schema, block.body, {
      scope: this.#scope(new Map()),
      file,
      block,
      minStability: this.#options.minStability,
    });
    diagnostics.push(...result.diagnostics);
    return hasErrors(result.diagnostics) ? undefined : { value: result.value };
  }

  /** The nodes of a new config: existing ones (same ID and component) are kept, with their new block. */
  #nextNodes(plan: ConfigPlan): Map<string, ComponentNode> {
    const next = new Map<string, ComponentNode>();
    for (const id of plan.order) {
      const planned = plan.components.get(id)!;
      const existing = this.#nodes.get(id);
      if (existing !== undefined && existing.registration === planned.registration) {
        existing.setBlock(planned.block, planned.file);
        next.set(id, existing);
      } else {
        next.set(
          id,
          new ComponentNode(planned, {
            logger: this.#log,
            storagePath: this.#options.storagePath,
            worker: this.#options.worker ?? SINGLE_PROCESS,
            minStability: this.#options.minStability,
            decode: this.#options.decode,
            liveDebugging: this.#options.liveDebugging,
            onExportsChanged: (node) => this.#exportsChanged(node),
          }),
        );
      }
    }
    return next;
  }

  #scope(nodes: ReadonlyMap<string, ComponentNode>): ObjectValue {
    const extra: Record<string, Value> = {};
    if (this.#options.modulePath !== undefined) extra["module_path"] = this.#options.modulePath;
    return buildScope(
      [...nodes.values()].map((n) => ({ name: n.name, label: n.label, exports: n.exports })),
      extra,
    );
  }

  /** Stops what left the graph (dependants first), then starts what is new or has exited. */
  async #synchronize(
    previous: ReadonlyMap<string, ComponentNode>,
    previousOrder: readonly string[],
  ): Promise<void> {
    const deadline = this.#options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
    for (const id of [...previousOrder].reverse()) {
      const old = previous.get(id);
      if (old !== undefined && this.#nodes.get(id) !== old) {
        await old.stop(deadline);
      }
    }
    if (this.#shuttingDown) return;
    for (const id of this.#order) {
      this.#nodes.get(id)?.start();
    }
  }

  /**
   * Queues the dependants of `node` for re-evaluation. A node still being loaded is queued too: the queue
   * is processed after the load, and only for nodes that made it into the applied graph, so a change
   * published between a node's evaluation and the end of the load is not lost.
   */
  #exportsChanged(node: ComponentNode): void {
    if (!this.#queue.has(node)) this.#queue.set(node, performance.now());
    if (this.#queueScheduled) return;
    this.#queueScheduled = true;
    this.#idle = new Promise<void>((resolve) => {
      setImmediate(() => {
        this.#queueScheduled = false;
        this.#exclusive(() => this.#evaluateDependants()).then(resolve, resolve);
      });
    });
  }

  /** Re-evaluates the direct dependants of every node whose exports changed (Alloy's `EvaluateDependants`). */
  async #evaluateDependants(): Promise<void> {
    const updated = [...this.#queue];
    this.#queue.clear();
    if (this.#shuttingDown) return;
    /** Each dependant, with when the first of its dependencies changed. */
    const targets = new Map<string, number>();
    for (const [node, changedAt] of updated) {
      if (this.#nodes.get(node.id) !== node) continue;
      for (const dependant of this.#graph.dependants(node.id)) {
        targets.set(dependant, Math.min(changedAt, targets.get(dependant) ?? changedAt));
      }
    }
    this.#pending = new Set(targets.keys());
    for (const id of this.#order) {
      const changedAt = targets.get(id);
      if (changedAt === undefined) continue;
      const node = this.#nodes.get(id)!;
      const t0 = performance.now();
      this.#pending.delete(id);
      this.#metrics?.observeDependencyWait((t0 - changedAt) / 1000);
      const result = await node.evaluate(this.#scope(this.#nodes));
      this.#metrics?.observeEvaluation(id, (performance.now() - t0) / 1000);
      if (hasErrors(result)) {
        this.#logEvaluationError(id, result);
      }
      if (!node.startedOnce) node.start();
    }
    this.#pending.clear();
  }

  /** Components waiting to be re-evaluated: those being worked through, and the dependants of queued changes. */
  #waitingCount(): number {
    const waiting = new Set(this.#pending);
    for (const node of this.#queue.keys()) {
      if (this.#nodes.get(node.id) !== node) continue;
      for (const dependant of this.#graph.dependants(node.id)) waiting.add(dependant);
    }
    return waiting.size;
  }

  #logEvaluationError(id: string, diagnostics: readonly Diagnostic[]): void {
    const errors = diagnostics.filter((d) => d.severity === "error");
    this.#log.error({ node: id, err: summarizeDiagnostics(errors) }, "failed to evaluate config");
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch((err: unknown) => {
      this.#log.error({ err: errorText(err) }, "controller operation failed");
    });
    return run;
  }
}
