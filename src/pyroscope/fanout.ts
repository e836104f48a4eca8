/**
 * A receiver that hands each profile to several receivers one after another: Alloy's `Fanout`
 * (`internal/component/pyroscope/appender.go`), used by components that forward to a `forward_to` list
 * (`pyroscope.relabel`, later `pyroscope.scrape`). `receive_http` does not use it: it calls its receivers
 * concurrently.
 *
 * As in Alloy:
 * - children are called sequentially, in order; `null`/`undefined` children are skipped;
 * - every child is called even when an earlier one failed, and the failures are combined into one, with the
 *   message of a Go `multierror` (`1 error occurred:\n\t* ...\n\n`);
 * - on ingest each child gets its own shallow copy of the request (body, content types and query are shared);
 * - `pyroscope_fanout_latency` is observed on every call; `pyroscope_forwarded_entries_total` grows by the
 *   number of samples on the push path only, and only when every child accepted.
 *
 * The combined failure keeps the status of the first child failure worth retrying, else of the first refusal,
 * as receive_http decides between its receivers, so a retry is asked for whenever a retry can help.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import {
  callReceiver,
  decisiveFailure,
  type Failure,
  type IngestRequest,
  OK,
  type Outcome,
  type PushRequest,
  type Receiver,
} from "./receiver.ts";

/** Prometheus' `DefBuckets`, which Alloy's fan-out histogram uses. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The two fan-out metrics; several fan-outs on one registry share them, as Alloy's ignored re-registration does. */
export interface FanoutMetrics {
  readonly latency: Histogram;
  readonly forwardedEntries: Counter;
}

/**
 * Registers (or finds, when already registered) the fan-out metrics on `registry`. Alloy ignores the error of a
 * second registration and keeps counting on a metric nobody reads; reusing the registered one keeps the count.
 */
export function fanoutMetrics(registry: Registry): FanoutMetrics {
  const latency =
    registry.getSingleMetric("pyroscope_fanout_latency") ??
    new Histogram({
      name: "pyroscope_fanout_latency",
      help: "Write latency for sending to pyroscope profiles",
      buckets: DEFAULT_BUCKETS,
      registers: [registry],
    });
  const forwardedEntries =
    registry.getSingleMetric("pyroscope_forwarded_entries_total") ??
    new Counter({
      name: "pyroscope_forwarded_entries_total",
      help: "Total number of samples sent to downstream components.",
      registers: [registry],
    });
  if (!(latency instanceof Histogram) || !(forwardedEntries instanceof Counter)) {
    throw new Error("fan-out metric names are registered with another metric type");
  }
  return { latency, forwardedEntries };
}

/** A child list entry: Alloy skips nil receivers in `forward_to`. */
export type FanoutChild = Receiver | null | undefined;

/** A sequential fan-out to a replaceable list of receivers. */
export class Fanout implements Receiver {
  #children: readonly Receiver[];
  readonly #metrics: FanoutMetrics;

  /** `registry` receives the fan-out metrics (the owning component's registry). */
  constructor(children: readonly FanoutChild[], registry: Registry) {
    this.#children = present(children);
    this.#metrics = fanoutMetrics(registry);
  }

  /** Replaces the receivers (on a `forward_to` update); calls already running keep the list they started with. */
  updateChildren(children: readonly FanoutChild[]): void {
    this.#children = present(children);
  }

  /** The current receivers, without the skipped empty entries. */
  children(): readonly Receiver[] {
    return this.#children;
  }

  /** Push path (Alloy's `Append`): every child gets the same request. */
  async push(request: PushRequest): Promise<Outcome> {
    const outcome = await this.#each((child) => child.push(request));
    if (outcome.ok) this.#metrics.forwardedEntries.inc(request.samples.length);
    return outcome;
  }

  /** Ingest path (Alloy's `AppendIngest`): every child gets its own shallow copy of the request. */
  ingest(request: IngestRequest): Promise<Outcome> {
    return this.#each((child) => child.ingest({ ...request }));
  }

  async #each(call: (child: Receiver) => Promise<Outcome>): Promise<Outcome> {
    const stop = this.#metrics.latency.startTimer();
    try {
      const failures: Failure[] = [];
      for (const child of this.#children) {
        const outcome = await callReceiver(() => call(child));
        if (!outcome.ok) failures.push(outcome);
      }
      return combine(failures);
    } finally {
      stop();
    }
  }
}

function present(children: readonly FanoutChild[]): readonly Receiver[] {
  return children.filter((c): c is Receiver => c !== null && c !== undefined);
}

/** One outcome for all children: ok when none failed; otherwise the decisive failure with every message. */
function combine(failures: readonly Failure[]): Outcome {
  const decisive = decisiveFailure(failures);
  if (decisive === undefined) return OK;
  return { ...decisive, message: multierrorText(failures.map((f) => f.message)) };
}

/** The text of a hashicorp `multierror` (`ListFormatFunc`), which is what Alloy logs and returns. */
export function multierrorText(messages: readonly string[]): string {
  if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`;
  return `${messages.length} errors occurred:\n\t${messages.map((m) => `* ${m}`).join("\n\t")}\n\n`;
}
