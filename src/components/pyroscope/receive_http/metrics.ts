/**
 * The metrics of `pyroscope.receive_http`, with the names, types, labels, help texts and buckets of Alloy's
 * dskit server (`pyroscope_receive_http_*`). They live on the component's registry, so they survive listener
 * restarts (Alloy builds a new registry per restart; the series are the same).
 */
import { Gauge, Histogram, type Registry } from "prom-client";

const NAMESPACE = "pyroscope_receive_http";

/** dskit's `instrument.DefBuckets`. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100];
/** dskit's `middleware.BodySizeBuckets`: `prometheus.ExponentialBuckets(4, 4, 15)`. */
const BODY_SIZE_BUCKETS = Array.from({ length: 15 }, (_, i) => 4 * 4 ** i);

/** Route labels as dskit derives them from the mux templates; `other` when no route matched. */
export type RouteLabel = "ingest" | "pyroscope_ingest" | "push_v1_pusherservice" | "other";

/** The server metrics of one component instance. */
export interface ServerMetrics {
  readonly tcpConnections: Gauge<"protocol">;
  readonly tcpConnectionsLimit: Gauge<"protocol">;
  readonly requestDuration: Histogram<"method" | "route" | "status_code" | "ws">;
  readonly requestMessageBytes: Histogram<"method" | "route">;
  readonly responseMessageBytes: Histogram<"method" | "route">;
  readonly inflightRequests: Gauge<"method" | "route">;
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
    requestDuration: new Histogram({
      name: `${NAMESPACE}_request_duration_seconds`,
      help: "Time (in seconds) spent serving HTTP requests.",
      labelNames: ["method", "route", "status_code", "ws"],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    requestMessageBytes: new Histogram({
      name: `${NAMESPACE}_request_message_bytes`,
      help: "Size (in bytes) of messages received in the request.",
      labelNames: ["method", "route"],
      buckets: BODY_SIZE_BUCKETS,
      registers,
    }),
    responseMessageBytes: new Histogram({
      name: `${NAMESPACE}_response_message_bytes`,
      help: "Size (in bytes) of messages sent in response.",
      labelNames: ["method", "route"],
      buckets: BODY_SIZE_BUCKETS,
      registers,
    }),
    inflightRequests: new Gauge({
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
