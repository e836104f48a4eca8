/**
 * `/metrics` of `run --workers=N`: one set of series, as one process would show them. Each worker sends its
 * families (component labels applied, as `renderMetrics` applies them), the primary adds its own (process,
 * config, worker pool) and prom-client's `AggregatorRegistry.aggregate` merges samples of the same name and
 * labels with the rule of each metric:
 *
 * - counters, histograms and summaries are summed;
 * - gauges are summed (connections, requests in flight, queue items, memory, CPU of every process, the
 *   workers' shares of `conn_limit`), except those whose sum means nothing: build and version info (first),
 *   ages and flags (max), the start time (min: the primary's), event-loop lag (prom-client's own rules);
 * - `alloy_component_controller_running_components` is not taken from the workers: the primary counts the
 *   components once, by their health merged across workers.
 */
import {
  type Aggregator,
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from "prom-client";
import type { MetricFamily } from "../runtime/metrics.ts";

/** Gauges whose samples are not summed across processes, with how they are merged. */
const GAUGE_RULES: Readonly<Record<string, Aggregator>> = {
  alloy_build_info: "first",
  alloy_config_hash: "first",
  alloy_config_last_load_successful: "first",
  alloy_config_last_load_success_timestamp_seconds: "first",
  alloy_component_controller_running_components: "first",
  alloy_component_controller_evaluating: "max",
  alloy_component_evaluation_queue_size: "max",
  nodejs_version_info: "first",
  process_start_time_seconds: "min",
  process_max_fds: "min",
  pyroscope_write_queue_oldest_item_age_seconds: "max",
};

/** Families the primary computes for the relay: the workers' own are ignored. */
const PRIMARY_OWNED = ["alloy_component_controller_running_components"];

/**
 * Merges the primary's families and every worker's into one registry, by the rules above. The workers have no
 * build info or config metrics (the primary's are the relay's), and their running components are ignored.
 */
export function aggregateFamilies(
  primary: readonly MetricFamily[],
  workers: readonly (readonly MetricFamily[])[],
): Registry {
  const owned = new Set(PRIMARY_OWNED);
  const perProcess = [primary, ...workers.map((families) => families.filter((f) => !owned.has(f.name)))];
  const ruled = perProcess.map((families) =>
    families.map((family) => ({ ...family, aggregator: aggregatorOf(family) })),
  );
  return AggregatorRegistry.aggregate(ruled as MetricObjectWithValues<MetricValue<string>>[][]);
}

/**
 * `--workers.metrics-per-worker`: a worker's families with `worker="<index>"` on every sample, so the merge
 * keeps each worker's series apart instead of summing them.
 */
export function labelWorker(families: readonly MetricFamily[], index: number): MetricFamily[] {
  const worker = String(index);
  return families.map((family) => ({
    ...family,
    values: family.values.map((v) => ({ ...v, labels: { ...v.labels, worker } })),
  }));
}

function aggregatorOf(family: MetricFamily): Aggregator {
  if (String(family.type) !== "gauge") return "sum";
  const rule = GAUGE_RULES[family.name];
  if (rule !== undefined) return rule;
  // prom-client's default metrics set their own (event-loop lag: min, max, average)
  if (family.name.startsWith("nodejs_eventloop_lag_")) return family.aggregator;
  return "sum";
}
