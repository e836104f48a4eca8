/**
 * A component's own figures for its UI page, read from its metrics registry (the same series `/metrics`
 * shows, so the page and the dashboards agree): totals of profiles, bytes and errors, and for
 * `pyroscope.write` each endpoint's sent/retried/dropped profiles and queue depth and oldest age. The page
 * polls them and turns totals into rates.
 */
import type { Registry } from "prom-client";
import type { Figures } from "./web-json.ts";

interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

/** The figures of a component of kind `name` (`pyroscope.write`, ...). */
export async function componentFigures(name: string, registry: Registry): Promise<Figures> {
  const metrics = new Map<string, readonly Sample[]>();
  for (const m of await registry.getMetricsAsJSON()) metrics.set(m.name, m.values as Sample[]);
  const samples = (metric: string): readonly Sample[] => metrics.get(metric) ?? [];
  const sum = (metric: string, keep: (s: Sample) => boolean = () => true): number =>
    samples(metric)
      .filter(keep)
      .reduce((total, s) => total + s.value, 0);
  const byEndpoint = (metric: string, endpoint: string): number =>
    sum(metric, (s) => s.labels["endpoint"] === endpoint);

  switch (name) {
    case "pyroscope.receive_http": {
      const profileRoute = (s: Sample) => s.labels["route"] !== "other";
      return {
        profiles: sum(
          "pyroscope_receive_http_request_message_bytes",
          (s) => s.metricName?.endsWith("_count") === true && profileRoute(s),
        ),
        bytes: sum(
          "pyroscope_receive_http_request_message_bytes",
          (s) => s.metricName?.endsWith("_sum") === true && profileRoute(s),
        ),
        errors: sum(
          "pyroscope_receive_http_request_duration_seconds",
          (s) =>
            s.metricName?.endsWith("_count") === true && !String(s.labels["status_code"]).startsWith("2"),
        ),
        endpoints: [],
      };
    }
    case "pyroscope.capture":
      return {
        profiles: sum("pyroscope_capture_profiles_total"),
        bytes: sum("pyroscope_capture_bytes_total"),
        errors: sum("pyroscope_capture_errors_total"),
        endpoints: [],
      };
    case "pyroscope.write": {
      const names = new Set<string>();
      for (const metric of ["pyroscope_write_sent_profiles_total", "pyroscope_write_queue_items"]) {
        for (const s of samples(metric)) names.add(String(s.labels["endpoint"]));
      }
      const endpoints = [...names].sort().map((endpoint) => ({
        endpoint,
        sentProfiles: byEndpoint("pyroscope_write_sent_profiles_total", endpoint),
        sentBytes: byEndpoint("pyroscope_write_sent_bytes_total", endpoint),
        retries: byEndpoint("pyroscope_write_retries_total", endpoint),
        droppedProfiles: byEndpoint("pyroscope_write_dropped_profiles_total", endpoint),
        queueItems: byEndpoint("pyroscope_write_queue_items", endpoint),
        oldestAgeSeconds: byEndpoint("pyroscope_write_queue_oldest_item_age_seconds", endpoint),
      }));
      return {
        profiles: sum("pyroscope_write_sent_profiles_total"),
        bytes: sum("pyroscope_write_sent_bytes_total"),
        errors: sum("pyroscope_write_dropped_profiles_total"),
        endpoints,
      };
    }
    default:
      return { profiles: 0, bytes: 0, errors: 0, endpoints: [] };
  }
}
