/**
 * The metrics of `pyroscope.write`, with Alloy's names, types, labels, help texts and buckets
 * (`internal/component/pyroscope/write/metrics.go`). They live on the component's registry and are shared by
 * every configuration the component goes through, as in Alloy.
 *
 * The `endpoint` label is the endpoint's `name` when set, else its URL (with any password redacted); Alloy
 * always uses the URL.
 */
import { Counter, type Registry } from "prom-client";
import {
  BoundCounter,
  BoundHistogram,
  type CounterChild,
  type HistogramChild,
} from "../../../runtime/bound-metrics.ts";

/** Go's `prometheus.DefBuckets`, which `pyroscope_write_latency` uses. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The values of the latency histogram's `type` label. */
type LatencyType =
  | "push_total"
  | "push_endpoint"
  | "push_downstream"
  | "ingest_total"
  | "ingest_endpoint"
  | "ingest_downstream";

/** The `endpoint` label value of the `*_total` latencies. */
const ALL_ENDPOINTS = "-";

/** The two paths a profile is written by. */
export type WritePath = "push" | "ingest";

/**
 * The series deliveries to one endpoint update, found once per endpoint (they change on every profile). Each is
 * made on its first use, as prom-client and Go's client make a series on its first update.
 */
export class EndpointSeries {
  readonly #metrics: WriteMetrics;
  readonly #endpoint: string;
  readonly #latencies = new Map<string, HistogramChild>();
  #sentBytes: CounterChild | undefined;
  #sentProfiles: CounterChild | undefined;
  #droppedBytes: CounterChild | undefined;
  #droppedProfiles: CounterChild | undefined;
  #retries: CounterChild | undefined;

  constructor(metrics: WriteMetrics, endpoint: string) {
    this.#metrics = metrics;
    this.#endpoint = endpoint;
  }

  /** `<path>_endpoint` latency: the endpoint's whole delivery, retries included. */
  endpointLatency(path: WritePath): HistogramChild {
    return this.#latency(path === "push" ? "push_endpoint" : "ingest_endpoint");
  }

  /** `<path>_downstream` latency: one attempt. */
  downstreamLatency(path: WritePath): HistogramChild {
    return this.#latency(path === "push" ? "push_downstream" : "ingest_downstream");
  }

  /** A delivery the endpoint accepted. */
  sent(bytes: number, profiles: number): void {
    this.#sentBytes ??= this.#metrics.sentBytes.child(this.#endpoint);
    this.#sentProfiles ??= this.#metrics.sentProfiles.child(this.#endpoint);
    this.#sentBytes.inc(bytes);
    this.#sentProfiles.inc(profiles);
  }

  /** A delivery the endpoint finally did not accept. */
  dropped(bytes: number, profiles: number): void {
    this.#droppedBytes ??= this.#metrics.droppedBytes.child(this.#endpoint);
    this.#droppedProfiles ??= this.#metrics.droppedProfiles.child(this.#endpoint);
    this.#droppedBytes.inc(bytes);
    this.#droppedProfiles.inc(profiles);
  }

  /** A retry is about to start. */
  retried(): void {
    this.#retries ??= this.#metrics.retries.child(this.#endpoint);
    this.#retries.inc();
  }

  #latency(type: LatencyType): HistogramChild {
    let child = this.#latencies.get(type);
    if (child === undefined) {
      child = this.#metrics.latency.child(this.#endpoint, type);
      this.#latencies.set(type, child);
    }
    return child;
  }
}

/** The write metrics of one component instance. */
export class WriteMetrics {
  /** Each of these by `endpoint`. */
  readonly sentBytes: BoundCounter;
  readonly droppedBytes: BoundCounter;
  readonly sentProfiles: BoundCounter;
  readonly droppedProfiles: BoundCounter;
  readonly retries: BoundCounter;
  /** Labels `endpoint`, `type`. */
  readonly latency: BoundHistogram;
  /** Registered for compatibility (Alloy's write registers it for eBPF debuginfo uploads); never incremented. */
  readonly debugInfoUploadBytes: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sentBytes = new BoundCounter({
      name: "pyroscope_write_sent_bytes_total",
      help: "Total number of compressed bytes sent to Pyroscope.",
      labelNames: ["endpoint"],
      registers,
    });
    this.droppedBytes = new BoundCounter({
      name: "pyroscope_write_dropped_bytes_total",
      help: "Total number of compressed bytes dropped by Pyroscope.",
      labelNames: ["endpoint"],
      registers,
    });
    this.sentProfiles = new BoundCounter({
      name: "pyroscope_write_sent_profiles_total",
      help: "Total number of profiles sent to Pyroscope.",
      labelNames: ["endpoint"],
      registers,
    });
    this.droppedProfiles = new BoundCounter({
      name: "pyroscope_write_dropped_profiles_total",
      help: "Total number of profiles dropped by Pyroscope.",
      labelNames: ["endpoint"],
      registers,
    });
    this.retries = new BoundCounter({
      name: "pyroscope_write_retries_total",
      help: "Total number of retries to Pyroscope.",
      labelNames: ["endpoint"],
      registers,
    });
    this.latency = new BoundHistogram({
      name: "pyroscope_write_latency",
      help: "Write latency for sending profiles to pyroscope",
      labelNames: ["endpoint", "type"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.debugInfoUploadBytes = new Counter({
      name: "pyroscope_ebpf_debug_info_upload_bytes_total",
      help: "Total number of bytes uploaded to the debug info endpoint",
      registers,
    });
  }

  readonly #series = new Map<string, EndpointSeries>();
  readonly #totals: { push?: HistogramChild; ingest?: HistogramChild } = {};

  /** The series of `endpoint` (its `endpoint` label). */
  series(endpoint: string): EndpointSeries {
    let series = this.#series.get(endpoint);
    if (series === undefined) {
      series = new EndpointSeries(this, endpoint);
      this.#series.set(endpoint, series);
    }
    return series;
  }

  /** The `<path>_total` latency series (endpoint `-`): a whole call, every endpoint. */
  totalLatency(path: WritePath): HistogramChild {
    let child = this.#totals[path];
    if (child === undefined) {
      child = this.latency.child(ALL_ENDPOINTS, `${path}_total`);
      this.#totals[path] = child;
    }
    return child;
  }
}
