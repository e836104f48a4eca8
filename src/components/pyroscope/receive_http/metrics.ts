/**
 * The metrics of `pyroscope.receive_http`, with the names, types, labels, help texts and buckets of Alloy's
 * dskit server (`pyroscope_receive_http_*`). They live on the component's registry, so they survive listener
 * restarts (Alloy builds a new registry per restart; the series are the same).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { ConversionFailureReason } from "../../../pyroscope/otlp/convert.ts";
import {
  BoundGauge,
  BoundHistogram,
  type GaugeChild,
  type HistogramChild,
} from "../../../runtime/bound-metrics.ts";

const NAMESPACE = "pyroscope_receive_http";

/** dskit's `instrument.DefBuckets`. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100];
/** dskit's `middleware.BodySizeBuckets`: `prometheus.ExponentialBuckets(4, 4, 15)`. */
const BODY_SIZE_BUCKETS = Array.from({ length: 15 }, (_, i) => 4 * 4 ** i);

/**
 * Route labels as dskit derives them from the mux templates; `other` when no route matched. The two OTLP routes
 * are ours (Alloy has none): `/v1development/profiles` and the gRPC service prefix.
 */
export type RouteLabel =
  | "ingest"
  | "pyroscope_ingest"
  | "push_v1_pusherservice"
  | "v1development_profiles"
  | "opentelemetry_proto_collector_profiles_v1development_profilesservice"
  | "other";

/** The server metrics of one component instance. */
export interface ServerMetrics {
  readonly tcpConnections: Gauge<"protocol">;
  readonly tcpConnectionsLimit: Gauge<"protocol">;
  /** Labels `method`, `route`, `status_code`, `ws`. */
  readonly requestDuration: BoundHistogram;
  /** Labels `method`, `route`. */
  readonly requestMessageBytes: BoundHistogram;
  /** Labels `method`, `route`. */
  readonly responseMessageBytes: BoundHistogram;
  /** Labels `method`, `route`. */
  readonly inflightRequests: BoundGauge;
}

/** Registers the server metrics on `registry` (the component's own). */
export function createServerMetrics(registry: Registry): ServerMetrics {
  const registers = [registry];
  const metrics: ServerMetrics = {
    tcpConnections: new Gauge({
      name: `${NAMESPACE}_tcp_connections`,
      help: "Current number of accepted TCP connections.",
      labelNames: ["protocol"],
      registers,
    }),
    tcpConnectionsLimit: new Gauge({
      name: `${NAMESPACE}_tcp_connections_limit`,
      help: "The max number of TCP connections that can be accepted (0 means no limit).",
      labelNames: ["protocol"],
      registers,
    }),
    requestDuration: new BoundHistogram({
      name: `${NAMESPACE}_request_duration_seconds`,
      help: "Time (in seconds) spent serving HTTP requests.",
      labelNames: ["method", "route", "status_code", "ws"],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    requestMessageBytes: new BoundHistogram({
      name: `${NAMESPACE}_request_message_bytes`,
      help: "Size (in bytes) of messages received in the request.",
      labelNames: ["method", "route"],
      buckets: BODY_SIZE_BUCKETS,
      registers,
    }),
    responseMessageBytes: new BoundHistogram({
      name: `${NAMESPACE}_response_message_bytes`,
      help: "Size (in bytes) of messages sent in response.",
      labelNames: ["method", "route"],
      buckets: BODY_SIZE_BUCKETS,
      registers,
    }),
    inflightRequests: new BoundGauge({
      name: `${NAMESPACE}_inflight_requests`,
      help: "Current number of inflight requests.",
      labelNames: ["method", "route"],
      registers,
    }),
  };
  // Alloy's dskit server also runs an (unused) gRPC listener; its series exist with zero values.
  metrics.tcpConnections.set({ protocol: "http" }, 0);
  metrics.tcpConnections.set({ protocol: "grpc" }, 0);
  metrics.tcpConnectionsLimit.set({ protocol: "grpc" }, 0);
  return metrics;
}

/** The series one request updates, found once per method and route instead of four lookups per request. */
export interface RouteSeries {
  readonly inflight: GaugeChild;
  readonly requestBytes: HistogramChild;
  readonly responseBytes: HistogramChild;
  /** `request_duration_seconds` for a response status (`ws` is always `false`). */
  duration(status: number): HistogramChild;
}

/**
 * The route series of `metrics`, by method and route. Methods are the ones Node's HTTP parser accepts (a fixed
 * list), so the table stays small.
 */
export function routeSeriesTable(metrics: ServerMetrics): (method: string, route: RouteLabel) => RouteSeries {
  // by method, then route: both are constant strings (Node's method table, our labels), hashed once
  const table = new Map<string, Map<RouteLabel, RouteSeries>>();
  return (method, route) => {
    let byRoute = table.get(method);
    if (byRoute === undefined) {
      byRoute = new Map();
      table.set(method, byRoute);
    }
    let series = byRoute.get(route);
    if (series === undefined) {
      const durations = new Map<number, HistogramChild>();
      series = {
        inflight: metrics.inflightRequests.child(method, route),
        requestBytes: metrics.requestMessageBytes.child(method, route),
        responseBytes: metrics.responseMessageBytes.child(method, route),
        duration(status) {
          let child = durations.get(status);
          if (child === undefined) {
            child = metrics.requestDuration.child(method, route, String(status), "false");
            durations.set(status, child);
          }
          return child;
        },
      };
      byRoute.set(route, series);
    }
    return series;
  };
}

/** How an OTLP export arrived: OTLP/HTTP with a protobuf or a JSON body, or OTLP/gRPC. */
export type OtlpProtocol = "http_protobuf" | "http_json" | "grpc";

/**
 * What happened to one OTLP profile: `accepted` by every receiver (or empty), `rejected` (not convertible, or
 * refused by a receiver: counted in `partial_success`), `failed` (a receiver failed in a way worth retrying: the
 * whole export is answered with an error for the client to retry).
 */
export type OtlpProfileResult = "accepted" | "rejected" | "failed";

const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ["http_protobuf", "http_json", "grpc"];
const OTLP_PROFILE_RESULTS: readonly OtlpProfileResult[] = ["accepted", "rejected", "failed"];
const CONVERSION_FAILURE_REASONS: readonly ConversionFailureReason[] = [
  "missing_sample_type",
  "index_out_of_range",
  "missing_values",
  "values_length_mismatch",
];

/** The OTLP metrics of one component instance (ours: Alloy has no OTLP profiles route). */
export interface OtlpMetrics {
  readonly requests: Counter<"protocol">;
  readonly profiles: Counter<"result">;
  readonly conversionFailures: Counter<"reason">;
}

/** Registers the OTLP route metrics on `registry` (the component's own). */
export function createOtlpMetrics(registry: Registry): OtlpMetrics {
  const registers = [registry];
  const metrics: OtlpMetrics = {
    requests: new Counter({
      name: `${NAMESPACE}_otlp_requests_total`,
      help: "OTLP profiles export requests decoded, by protocol (http_protobuf, http_json, grpc).",
      labelNames: ["protocol"],
      registers,
    }),
    profiles: new Counter({
      name: `${NAMESPACE}_otlp_profiles_total`,
      help: "OTLP profiles received in decoded export requests, by result (accepted, rejected, failed).",
      labelNames: ["result"],
      registers,
    }),
    conversionFailures: new Counter({
      name: `${NAMESPACE}_otlp_conversion_failures_total`,
      help: "OTLP profiles that could not be converted to pprof, by reason.",
      labelNames: ["reason"],
      registers,
    }),
  };
  // every series exists from the start, at zero
  for (const protocol of OTLP_PROTOCOLS) metrics.requests.inc({ protocol }, 0);
  for (const result of OTLP_PROFILE_RESULTS) metrics.profiles.inc({ result }, 0);
  for (const reason of CONVERSION_FAILURE_REASONS) metrics.conversionFailures.inc({ reason }, 0);
  return metrics;
}
