/**
 * `/metrics`: the agent's own registry (process, config and controller metrics) followed by every
 * component's registry, each sample labelled `component_id="<id>"` and `component_path="/"` as Alloy's
 * wrapping registerer does. Several instances of one component register the same metric names in their own
 * registries, so families are merged by name here (one `HELP`/`TYPE` each) rather than with
 * `Registry.merge`, which refuses duplicates.
 */
import { createHash } from "node:crypto";
import {
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from "prom-client";
import { goArch, goOS, VERSION } from "../syntax/stdlib/constants.ts";
import type { HealthState } from "./component.ts";

/** A registry to expose, with labels added to each of its samples. */
export interface MetricsSource {
  readonly registry: Registry;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The `Content-Type` of the Prometheus text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A metric family with its samples (prom-client's JSON form), as `collectFamilies` merges them. */
export type MetricFamily = MetricObjectWithValues<MetricValue<string>>;

/** The families of `sources`, each sample labelled with its source's labels, families merged by name. */
export async function collectFamilies(sources: readonly MetricsSource[]): Promise<MetricFamily[]> {
  const families = new Map<string, MetricFamily & { values: MetricValue<string>[] }>();
  for (const source of sources) {
    const metrics = (await source.registry.getMetricsAsJSON()) as MetricFamily[];
    for (const metric of metrics) {
      let family = families.get(metric.name);
      if (family === undefined) {
        family = { ...metric, values: [] };
        families.set(metric.name, family);
      }
      for (const sample of metric.values) {
        family.values.push({ ...sample, labels: { ...sample.labels, ...source.labels } });
      }
    }
  }
  return [...families.values()];
}

/** Renders every source in the Prometheus text format, merging families of the same name. */
export async function renderMetrics(sources: readonly MetricsSource[]): Promise<string> {
  let out = "";
  for (const f of await collectFamilies(sources)) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${String(f.type)}\n`;
    for (const sample of f.values) {
      const name = (sample as { metricName?: string }).metricName ?? f.name;
      out += `${name}${renderLabels(sample.labels)} ${formatValue(sample.value)}\n`;
    }
  }
  return out;
}

function renderLabels(labels: Readonly<Record<string, string | number | undefined>>): string {
  const entries = Object.entries(labels).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "";
  const parts = entries.map(([k, v]) => `${k}="${escapeLabel(labelText(v!))}"`);
  return `{${parts.join(",")}}`;
}

function labelText(v: string | number): string {
  return typeof v === "number" ? formatValue(v) : v;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/**
 * Alloy's config metrics (`internal/static/config/instrumentation`), updated on every load attempt.
 */
export class ConfigMetrics {
  readonly #hash: Gauge<"sha256">;
  readonly #success: Gauge;
  readonly #successTime: Gauge;
  readonly #failures: Counter;

  constructor(registry: Registry) {
    this.#hash = new Gauge({
      name: "alloy_config_hash",
      help: "Hash of the currently active config file.",
      labelNames: ["sha256"],
      registers: [registry],
    });
    this.#success = new Gauge({
      name: "alloy_config_last_load_successful",
      help: "Config loaded successfully.",
      registers: [registry],
    });
    this.#successTime = new Gauge({
      name: "alloy_config_last_load_success_timestamp_seconds",
      help: "Timestamp of the last successful configuration load.",
      registers: [registry],
    });
    this.#failures = new Counter({
      name: "alloy_config_load_failures_total",
      help: "Configuration load failures.",
      registers: [registry],
    });
  }

  /** Records one load attempt; `sha256` is the hash of the sources read (see `sourcesHash`). */
  record(success: boolean, sha256: string): void {
    if (success) {
      this.#successTime.set(Date.now() / 1000);
      this.#success.set(1);
    } else {
      this.#success.set(0);
      this.#failures.inc();
    }
    this.#hash.reset();
    this.#hash.set({ sha256 }, 1);
  }
}

/** SHA-256 over the sources' contents in file-name order, as Alloy's `ParseSources` computes it. */
export function sourcesHash(
  sources: readonly { readonly filename: string; readonly text: string }[],
): string {
  const hash = createHash("sha256");
  for (const s of [...sources].sort((a, b) =>
    a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0,
  )) {
    hash.update(s.text, "utf8");
  }
  return hash.digest("hex");
}

/**
 * `alloy_build_info`, as Alloy registers it (Prometheus' `version.NewCollector("alloy")`): a constant 1
 * labelled with the build. `version` is this package's (`v0.1.0`); `goversion` holds the Node.js version
 * that runs it, `goos`/`goarch` the platform by Go's names; `revision`, `branch` and `tags` are empty (an npm
 * package does not record them).
 */
export function registerBuildInfo(registry: Registry): void {
  new Gauge({
    name: "alloy_build_info",
    help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.",
    labelNames: ["version", "revision", "branch", "goversion", "goos", "goarch", "tags"],
    registers: [registry],
  }).set(
    {
      version: VERSION,
      revision: "",
      branch: "",
      goversion: process.version,
      goos: goOS(),
      goarch: goArch(),
      tags: "",
    },
    1,
  );
}

/** An evaluation at least this long is counted by `alloy_component_evaluation_slow_seconds` (Alloy's). */
export const SLOW_EVALUATION_SECONDS = 60;

/** The buckets of Alloy's evaluation histograms: 5ms to 10m. */
const EVALUATION_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600];

/** The controller's own metrics (`internal/runtime/internal/controller/metrics.go`). */
export class ControllerMetrics {
  readonly evaluating: Gauge;
  readonly evaluationSeconds: Histogram;
  readonly dependenciesWaitSeconds: Histogram;
  readonly slowEvaluationSeconds: Counter<"controller_path" | "controller_id" | "component_id">;

  /**
   * `componentHealth` lists the health state of every running component; `queueSize` is how many components
   * wait to be re-evaluated after a dependency's exports changed.
   */
  constructor(registry: Registry, componentHealth: () => readonly HealthState[], queueSize: () => number) {
    const constLabels = { controller_path: "/", controller_id: "" };
    this.evaluating = new Gauge({
      name: "alloy_component_controller_evaluating",
      help: "Tracks if the controller is currently in the middle of a graph evaluation",
      labelNames: ["controller_path", "controller_id"],
      registers: [registry],
    });
    this.evaluating.set(constLabels, 0);
    this.evaluationSeconds = new Histogram({
      name: "alloy_component_evaluation_seconds",
      help: "Time spent performing component evaluation",
      labelNames: ["controller_path", "controller_id"],
      buckets: EVALUATION_BUCKETS,
      registers: [registry],
    });
    this.evaluationSeconds.zero(constLabels);
    this.dependenciesWaitSeconds = new Histogram({
      name: "alloy_component_dependencies_wait_seconds",
      help: "Time spent by components waiting to be evaluated after their dependency is updated.",
      labelNames: ["controller_path", "controller_id"],
      buckets: EVALUATION_BUCKETS,
      registers: [registry],
    });
    this.dependenciesWaitSeconds.zero(constLabels);
    new Gauge({
      name: "alloy_component_evaluation_queue_size",
      help: "Tracks the number of components waiting to be evaluated in the worker pool",
      labelNames: ["controller_path", "controller_id"],
      registers: [registry],
      collect() {
        this.set(constLabels, queueSize());
      },
    });
    this.slowEvaluationSeconds = new Counter({
      name: "alloy_component_evaluation_slow_seconds",
      help: `Number of seconds spent evaluating components that take longer than ${SLOW_EVALUATION_SECONDS / 60}m0s to evaluate`,
      labelNames: ["controller_path", "controller_id", "component_id"],
      registers: [registry],
    });
    // Alloy counts the running components by health state, one series per state present.
    new Gauge({
      name: "alloy_component_controller_running_components",
      help: "Total number of running components.",
      labelNames: ["controller_path", "controller_id", "health_type"],
      registers: [registry],
      collect() {
        this.reset();
        const counts = new Map<HealthState, number>();
        for (const state of componentHealth()) counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [health_type, count] of counts) this.set({ ...constLabels, health_type }, count);
      },
    });
  }

  /** Marks a graph evaluation as in progress (or finished). */
  setEvaluating(on: boolean): void {
    this.evaluating.set({ controller_path: "/", controller_id: "" }, on ? 1 : 0);
  }

  /** Records how long one component's evaluation took; a slow one is also counted for the component. */
  observeEvaluation(componentId: string, seconds: number): void {
    this.evaluationSeconds.observe({ controller_path: "/", controller_id: "" }, seconds);
    if (seconds >= SLOW_EVALUATION_SECONDS) {
      this.slowEvaluationSeconds.inc(
        { controller_path: "/", controller_id: "", component_id: componentId },
        seconds,
      );
    }
  }

  /** Records how long a component waited for its re-evaluation after a dependency's exports changed. */
  observeDependencyWait(seconds: number): void {
    this.dependenciesWaitSeconds.observe({ controller_path: "/", controller_id: "" }, seconds);
  }
}
