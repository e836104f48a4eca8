/**
 * Helpers for the `pyroscope.write` tests: fully defaulted arguments from the schema, and a running component
 * with a captured log, its own metrics registry and its exported receiver.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { RECEIVER_HOST_TYPE, type Receiver } from "../../../pyroscope/receiver.ts";
import { type ComponentOptions, SINGLE_PROCESS, type WorkerSlot } from "../../../runtime/component.ts";
import type { LiveDebugging } from "../../../runtime/livedebugging/hub.ts";
import { defaultsOf } from "../../../syntax/decode.ts";
import { Capsule, type Value } from "../../../syntax/value.ts";
import { type EndpointArguments, endpointBody, type WriteArguments, writeArguments } from "./arguments.ts";
import { WriteComponent, type WriteHooks } from "./write.ts";

/** An `endpoint` block as the decoder would produce it: defaults plus `overrides`. */
export function endpointArgs(overrides: Partial<EndpointArguments> & { url: string }): EndpointArguments {
  return { ...defaultsOf(endpointBody), ...overrides };
}

/** The component's arguments: defaults plus `overrides`. */
export function writeArgs(overrides: Partial<WriteArguments> = {}): WriteArguments {
  return { ...defaultsOf(writeArguments), ...overrides };
}

/** A running component under test. */
export interface RunningWrite {
  readonly component: WriteComponent;
  readonly receiver: Receiver;
  readonly registry: Registry;
  /** Every log line written so far (JSON). */
  readonly logs: string[];
  /** Every export published so far. */
  readonly exports: Readonly<Record<string, Value>>[];
  /** The value of a metric sample, 0 when absent. */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  /** Stops the component and waits for it. */
  stop(): Promise<void>;
}

/**
 * Builds and runs `pyroscope.write` with `args` (fast backoff is the caller's choice), as worker `worker` of
 * `run --workers` (one process by default).
 */
export async function startWrite(
  args: WriteArguments,
  hooks: WriteHooks = {},
  dataPath = "/nonexistent/pyroscope.write.test",
  liveDebugging?: LiveDebugging,
  worker: WorkerSlot = SINGLE_PROCESS,
): Promise<RunningWrite> {
  const registry = new Registry();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString("utf8"));
      cb();
    },
  });
  const exports: Readonly<Record<string, Value>>[] = [];
  const options: ComponentOptions = {
    id: "pyroscope.write.test",
    logger: pino({ level: "debug" }, sink),
    registry,
    dataPath,
    worker,
    onStateChange: (e) => exports.push(e),
    liveDebugging,
  };
  const component = await WriteComponent.create(options, args, hooks);
  const controller = new AbortController();
  const running = component.run(controller.signal);
  const exported = exports.at(-1)?.["receiver"];
  if (!(exported instanceof Capsule) || exported.hostType !== RECEIVER_HOST_TYPE) {
    throw new Error("pyroscope.write did not export a receiver");
  }
  return {
    component,
    receiver: exported.value as Receiver,
    registry,
    logs,
    exports,
    async metric(name, labels = {}) {
      const base = name.replace(/_(count|sum|bucket)$/, "");
      const m = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
      if (m === undefined) return 0;
      const data = await m.get();
      const sample = data.values.find(
        (v) =>
          ((v as { metricName?: string }).metricName ?? name) === name &&
          Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
      );
      return sample?.value ?? 0;
    },
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/**
 * `w`, stopped by `cleanup` (a test's context or a file's clean-up stack) unless the test stopped it first: a
 * test that fails half-way leaves no component running.
 */
export function stopAtCleanup(
  cleanup: { after(step: () => Promise<unknown>): void },
  w: RunningWrite,
): RunningWrite {
  let stopped = false;
  cleanup.after(async () => {
    if (!stopped) await w.stop();
  });
  return {
    ...w,
    async stop() {
      stopped = true;
      await w.stop();
    },
  };
}
