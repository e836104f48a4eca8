/**
 * The metrics of `pyroscope.relabel`, with Alloy's names, types and help texts
 * (`internal/component/pyroscope/relabel/metrics.go`). The fan-out metrics (`pyroscope_fanout_latency`,
 * `pyroscope_forwarded_entries_total`) are registered by the `Fanout` on the same registry.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** The relabel metrics of one component instance. */
export class RelabelMetrics {
  readonly processed: Counter;
  /** Profiles forwarded (Alloy's `profilesOutgoing`). */
  readonly written: Counter;
  readonly dropped: Counter;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheSize: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.processed = new Counter({
      name: "pyroscope_relabel_profiles_processed",
      help: "Total number of profiles processed",
      registers,
    });
    this.written = new Counter({
      name: "pyroscope_relabel_profiles_written",
      help: "Total number of profiles forwarded",
      registers,
    });
    this.dropped = new Counter({
      name: "pyroscope_relabel_profiles_dropped",
      help: "Total number of profiles dropped by relabeling rules",
      registers,
    });
    this.cacheHits = new Counter({
      name: "pyroscope_relabel_cache_hits",
      help: "Total number of cache hits",
      registers,
    });
    this.cacheMisses = new Counter({
      name: "pyroscope_relabel_cache_misses",
      help: "Total number of cache misses",
      registers,
    });
    this.cacheSize = new Gauge({
      name: "pyroscope_relabel_cache_size",
      help: "Total size of relabel cache",
      registers,
    });
  }
}
