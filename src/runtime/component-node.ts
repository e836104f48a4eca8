/**
 * One component in the running graph, as Alloy's `BuiltinComponentNode`: it holds the block, the last good
 * arguments, the exports, the built component and its run, and combines the health of its last
 * evaluation, its run and the component's own report.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { BlockStmt } from "../syntax/ast.ts";
import { type Diagnostic, hasErrors, summarizeDiagnostics } from "../syntax/diagnostics.ts";
import type { ObjectValue, Value } from "../syntax/value.ts";
import type {
  AnyRegistration,
  Component,
  ComponentOptions,
  Health,
  Stability,
  WorkerSlot,
} from "./component.ts";
import type { BodyDecoder } from "./decoder.ts";
import { deepEqual } from "./equality.ts";
import { health, leastHealthy } from "./health.ts";
import type { LiveDebugging } from "./livedebugging/hub.ts";
import { errorText } from "./logging.ts";
import type { PlannedComponent } from "./plan.ts";

/** What a node needs from the controller. */
export interface NodeContext {
  /** The root logger; the node's logger is a child with `component_path` and `component_id`. */
  readonly logger: Logger;
  /** `--storage.path`; the component's folder is `<storagePath>/<id>`. */
  readonly storagePath: string;
  /** Which worker process this is. */
  readonly worker: WorkerSlot;
  readonly minStability: Stability;
  readonly decode: BodyDecoder;
  /** The live debugging hub, handed to the component. */
  readonly liveDebugging?: LiveDebugging | undefined;
  /** Called when the component publishes exports that differ from the previous ones. */
  readonly onExportsChanged: (node: ComponentNode) => void;
}

const NO_EXPORTS: ObjectValue = new Map();

export class ComponentNode {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly registration: AnyRegistration;
  /** The component's own metrics; `/metrics` adds `component_id` and `component_path`. */
  readonly registry = new Registry();
  readonly logger: Logger;
  readonly #context: NodeContext;

  #block: BlockStmt;
  #file: string;
  #args: unknown;
  #exports: ObjectValue = NO_EXPORTS;
  #component: Component<unknown> | undefined;
  #evalHealth: Health;
  #runHealth: Health;
  #run: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;
  #startedOnce = false;

  constructor(planned: PlannedComponent, context: NodeContext) {
    this.id = planned.id;
    this.name = planned.name;
    this.label = planned.label;
    this.registration = planned.registration;
    this.#block = planned.block;
    this.#file = planned.file;
    this.#context = context;
    this.logger = context.logger.child({ component_path: "/", component_id: planned.id });
    const created = health("unknown", "component created");
    this.#evalHealth = created;
    this.#runHealth = created;
  }

  get block(): BlockStmt {
    return this.#block;
  }

  get file(): string {
    return this.#file;
  }

  /** The last arguments the component accepted; `undefined` until it is built. */
  get args(): unknown {
    return this.#args;
  }

  /** The current exports (an empty object until the component publishes some). */
  get exports(): ObjectValue {
    return this.#exports;
  }

  /** Whether the component has been built (its first evaluation succeeded). */
  get built(): boolean {
    return this.#component !== undefined;
  }

  /** Whether `run` is in progress. */
  get running(): boolean {
    return this.#run !== undefined;
  }

  /** Whether `run` was ever started (an exited component is restarted only by a reload, as in Alloy). */
  get startedOnce(): boolean {
    return this.#startedOnce;
  }

  /** Points the node at a new block with the same ID; used on the next evaluation. */
  setBlock(block: BlockStmt, file: string): void {
    this.#block = block;
    this.#file = file;
  }

  /** The least healthy of the last evaluation, the run, and the component's own report. */
  health(): Health {
    const own = this.#component?.health?.();
    return own === undefined
      ? leastHealthy(this.#runHealth, this.#evalHealth)
      : leastHealthy(this.#runHealth, this.#evalHealth, own);
  }

  /**
   * Evaluates the block in `scope` and hands the arguments to the component: builds it the first time,
   * calls `update` later only when the arguments changed. On failure the last good arguments stay in force
   * and the node is unhealthy. Returns the diagnostics (errors mean the evaluation failed).
   */
  async evaluate(scope: ObjectValue): Promise<Diagnostic[]> {
    const { value, diagnostics } = this.#context.decode(this.registration.args, this.#block.body, {
      scope,
      file: this.#file,
      block: this.#block,
      minStability: this.#context.minStability,
    });
    if (hasErrors(diagnostics)) {
      const errors = diagnostics.filter((d) => d.severity === "error");
      this.#setEvalHealth(
        "unhealthy",
        `component evaluation failed: decoding configuration: ${summarizeDiagnostics(errors)}`,
      );
      return [...diagnostics];
    }
    let step = "building component";
    try {
      if (this.#component === undefined) {
        this.#component = await this.registration.build(this.#options(), value as never);
        this.#args = value;
      } else if (!deepEqual(this.#args, value)) {
        step = "updating component";
        await this.#component.update(value);
        this.#args = value;
      }
    } catch (err) {
      const message = `${step}: ${errorText(err)}`;
      this.#setEvalHealth("unhealthy", `component evaluation failed: ${message}`);
      return [
        ...diagnostics,
        {
          severity: "error",
          file: this.#file,
          start: this.#block.nameStart,
          end: this.#block.rcurly,
          message: `Failed to build component: ${message}`,
        },
      ];
    }
    this.#setEvalHealth("healthy", "component evaluated");
    return [...diagnostics];
  }

  /** Starts `run` if the component is built and not running. */
  start(): void {
    const component = this.#component;
    if (component === undefined || this.#run !== undefined) return;
    const abort = new AbortController();
    this.#startedOnce = true;
    this.#runHealth = health("healthy", "started component");
    const done = (async () => {
      try {
        await component.run(abort.signal);
        this.#runHealth = health("exited", "component shut down cleanly");
        this.logger.info("node exited without error");
      } catch (err) {
        this.#runHealth = health("exited", `component shut down with error: ${errorText(err)}`);
        this.logger.error({ err }, "node exited with error");
      } finally {
        if (this.#run?.abort === abort) this.#run = undefined;
      }
    })();
    this.#run = { abort, done };
  }

  /**
   * Asks `run` to stop and waits for it, at most `deadlineMs` (then gives up waiting and logs it).
   * Resolves at once when it is not running.
   */
  async stop(deadlineMs: number): Promise<void> {
    const run = this.#run;
    if (run === undefined) return;
    run.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      run.done.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn("task shutdown deadline exceeded");
      if (this.#run === run) this.#run = undefined;
    }
  }

  #options(): ComponentOptions {
    return {
      id: this.id,
      logger: this.logger,
      registry: this.registry,
      dataPath: join(this.#context.storagePath, this.id),
      worker: this.#context.worker,
      liveDebugging: this.#context.liveDebugging,
      onStateChange: (exports) => this.#setExports(exports),
    };
  }

  #setExports(exports: Readonly<Record<string, Value>>): void {
    const next: ObjectValue = new Map(Object.entries(exports));
    if (deepEqual(this.#exports, next)) return;
    this.#exports = next;
    this.#context.onExportsChanged(this);
  }

  #setEvalHealth(state: Health["state"], message: string): void {
    this.#evalHealth = health(state, message);
  }
}
