/**
 * Shared bits of the test components: waiting for the stop signal, and the `testcomponents_*` counters
 * every test component registers so tests can see (through `/metrics`) how often it was built, updated and
 * run.
 */
import { Counter, type Registry } from "prom-client";

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** How often a test component was built, updated and run. */
export interface Lifecycle {
  readonly builds: Counter;
  readonly updates: Counter;
  readonly runs: Counter;
}

/** Registers the lifecycle counters in a component's registry. */
export function lifecycleMetrics(registry: Registry): Lifecycle {
  return {
    builds: new Counter({
      name: "testcomponents_builds_total",
      help: "Times the test component was built.",
      registers: [registry],
    }),
    updates: new Counter({
      name: "testcomponents_updates_total",
      help: "Times the test component was updated with new arguments.",
      registers: [registry],
    }),
    runs: new Counter({
      name: "testcomponents_runs_total",
      help: "Times the test component's run started.",
      registers: [registry],
    }),
  };
}
