/**
 * The metrics of `pyroscope.capture`: what was captured (profiles and bytes by route), what failed, what
 * retention removed (by reason), and the size of the store. They live on the component's registry and outlive
 * argument updates, as Alloy's component metrics do.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** Why retention removed a capture. */
export type RemovalReason = "retention" | "max_size";

/** The capture metrics of one component instance. */
export class CaptureMetrics {
  readonly profiles: Counter<"route">;
  readonly bytes: Counter<"route">;
  readonly errors: Counter<"route">;
  readonly removedProfiles: Counter<"reason">;
  readonly removedBytes: Counter<"reason">;
  readonly storeBytes: Gauge;
  readonly storeProfiles: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.profiles = new Counter({
      name: "pyroscope_capture_profiles_total",
      help: "Total number of profiles written to the capture store.",
      labelNames: ["route"],
      registers,
    });
    this.bytes = new Counter({
      name: "pyroscope_capture_bytes_total",
      help: "Total number of bytes written to the capture store (data files and sidecars).",
      labelNames: ["route"],
      registers,
    });
    this.errors = new Counter({
      name: "pyroscope_capture_errors_total",
      help: "Total number of profiles that could not be written to the capture store.",
      labelNames: ["route"],
      registers,
    });
    this.removedProfiles = new Counter({
      name: "pyroscope_capture_removed_profiles_total",
      help: "Total number of captured profiles removed, by reason (retention or max_size).",
      labelNames: ["reason"],
      registers,
    });
    this.removedBytes = new Counter({
      name: "pyroscope_capture_removed_bytes_total",
      help: "Total number of bytes removed from the capture store, by reason (retention or max_size).",
      labelNames: ["reason"],
      registers,
    });
    this.storeBytes = new Gauge({
      name: "pyroscope_capture_store_bytes",
      help: "Current size of the captured profiles on disk.",
      registers,
    });
    this.storeProfiles = new Gauge({
      name: "pyroscope_capture_store_profiles",
      help: "Current number of captured profiles on disk.",
      registers,
    });
  }
}
