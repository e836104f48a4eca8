/**
 * The component contract, modelled on Alloy's (`internal/component/component.go`) in async form.
 *
 * A component is built from a `Registration` with its decoded arguments. The runtime then calls `run(signal)`
 * once; it resolves when `signal` aborts and the component has cleaned up. `update(args)` may be called at
 * any time while `run` is active, with newly decoded arguments; it may reject them by throwing, and the
 * component then keeps its previous arguments. Components build their first state by calling their own
 * `update` from the constructor, so construction and reload share one code path.
 *
 * Exports (such as a `receiver`) are published through `options.onStateChange`; the runtime re-evaluates the
 * components that reference them.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { BodySchema, Fields, InferFields } from "../syntax/schema.ts";
import type { Value } from "../syntax/value.ts";
import type { LiveDebugging } from "./livedebugging/hub.ts";

/** Alloy's stability levels, lowest first. */
export type Stability = "experimental" | "public-preview" | "generally-available";

export const STABILITY_ORDER: readonly Stability[] = [
  "experimental",
  "public-preview",
  "generally-available",
];

export type HealthState = "healthy" | "unhealthy" | "unknown" | "exited";

export interface Health {
  readonly state: HealthState;
  readonly message: string;
  readonly updatedTime: Date;
}

/**
 * Which worker process of `profile-relay run --workers=N` this is: `index` in `0..count-1`. A single process
 * (the default, and every test or tool) is `{ index: 0, count: 1 }`. Components that own something on disk
 * (the durable queue) use it to take their own shard; limits that the user configures for the whole relay
 * are divided by `count`.
 */
export interface WorkerSlot {
  readonly index: number;
  readonly count: number;
}

/** The slot of a relay that runs in one process. */
export const SINGLE_PROCESS: WorkerSlot = { index: 0, count: 1 };

/** What the runtime gives each component. */
export interface ComponentOptions {
  /** The component ID, e.g. `pyroscope.write.default`. */
  readonly id: string;
  /** A logger that carries `component_id` (and `component_path`). */
  readonly logger: Logger;
  /**
   * The component's own metrics registry; every metric registered here is exposed on `/metrics` with the
   * labels `component_id` and `component_path`. Several instances of one component may register metrics of
   * the same name: each has its own registry.
   */
  readonly registry: Registry;
  /** A folder the component owns: `<--storage.path>/<component id>`. Created on first use by the component. */
  readonly dataPath: string;
  /** Which worker process this is (`{ index: 0, count: 1 }` unless `run --workers` is above 1). */
  readonly worker: WorkerSlot;
  /**
   * The live debugging hub: a component that shows the profiles passing through it takes its tap with
   * `liveTap(options)` (`src/runtime/livedebugging/hub.ts`). Absent in tests and tools.
   */
  readonly liveDebugging?: LiveDebugging | undefined;
  /** Publishes new exports; dependants are re-evaluated. Values are Alloy values (receivers are capsules). */
  readonly onStateChange: (exports: Readonly<Record<string, Value>>) => void;
}

export interface Component<Args> {
  /** Runs until `signal` aborts, then cleans up and resolves. A rejection marks the component exited. */
  run(signal: AbortSignal): Promise<void>;
  /** Applies new arguments while running. Throw to reject them (the previous ones stay in force). */
  update(args: Args): Promise<void> | void;
  /** The component's own view of its health, if it has one. */
  health?(): Health;
}

/** The export names and types, for `validate` and the docs (`receiver: capsule(pyroscope.Appendable)`). */
export interface ExportDescription {
  readonly name: string;
  readonly type: string;
  readonly doc: string;
}

export interface Registration<F extends Fields> {
  /** Dotted component name, e.g. `pyroscope.write`. */
  readonly name: string;
  readonly stability: Stability;
  /** One-line description for `--help`, docs/components.md and the UI. */
  readonly description: string;
  readonly args: BodySchema<F>;
  readonly exports: readonly ExportDescription[];
  build(
    options: ComponentOptions,
    args: InferFields<F>,
  ): Component<InferFields<F>> | Promise<Component<InferFields<F>>>;
  /**
   * Folders the component must have to itself (a durable queue), from its arguments: `validate` reports two
   * components that name the same one (compared as real paths). At run time the folder's lock enforces it.
   */
  readonly exclusivePaths?: (args: InferFields<F>) => readonly ExclusivePath[];
}

/** A folder one component must own alone, and where the config names it. */
export interface ExclusivePath {
  readonly path: string;
  /** The attribute that names it, as block and attribute names from the component's body: `["queue", "path"]`. */
  readonly field: readonly string[];
}

/** A registration whose argument type has been erased, as the registry stores it. */
// biome-ignore lint/suspicious/noExplicitAny: registrations of different argument types live in one list.
export type AnyRegistration = Registration<any>;
