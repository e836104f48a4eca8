/**
 * Helpers for the capture, `ls` and `replay` tests: a running `pyroscope.capture` in a fresh temporary folder,
 * and receiver requests built from the shared fixtures the way receive_http would hand them over.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { ensureServiceName } from "../../../pyroscope/label-rules.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { parseName } from "../../../pyroscope/name-grammar.ts";
import { type IngestRequest, NO_HEADERS } from "../../../pyroscope/receiver.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import { type CaptureArguments, DEFAULT_MAX_SIZE, DEFAULT_RETENTION_MS } from "./arguments.ts";
import { CaptureComponent } from "./capture.ts";

/** A running component under test. */
export interface RunningCapture {
  readonly component: CaptureComponent;
  /** The component's data folder (where captures go unless `path` is set). */
  readonly dataPath: string;
  readonly registry: Registry;
  /** The value of a metric sample, 0 when absent. */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  /** Stops the component and removes the temporary folder. */
  stop(): Promise<void>;
}

/** Builds and runs `pyroscope.capture` in a new temporary folder. */
export async function startCapture(overrides: Partial<CaptureArguments> = {}): Promise<RunningCapture> {
  const base = await mkdtemp(join(tmpdir(), "capture-test-"));
  const dataPath = join(base, "pyroscope.capture.test");
  const registry = new Registry();
  const component = new CaptureComponent(
    {
      id: "pyroscope.capture.test",
      logger: pino({ level: "silent" }),
      registry,
      dataPath,
      worker: SINGLE_PROCESS,
      onStateChange: () => {},
    },
    { path: undefined, max_size: DEFAULT_MAX_SIZE, retention: DEFAULT_RETENTION_MS, ...overrides },
  );
  const controller = new AbortController();
  const running = component.run(controller.signal);
  await component.store.ready();
  return {
    component,
    dataPath,
    registry,
    async metric(name, labels = {}) {
      const metric = registry.getSingleMetric(name);
      if (metric === undefined) return 0;
      const data = await metric.get();
      const match = data.values.find((v) =>
        Object.entries(labels).every(
          ([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want,
        ),
      );
      return match?.value ?? 0;
    },
    async stop() {
      controller.abort();
      await running;
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** An ingest request as receive_http builds it from a path+query, headers and body. */
export function ingestRequest(
  pathAndQuery: string,
  body: Uint8Array,
  contentType: readonly string[],
  headers?: Readonly<Record<string, string>>,
): IngestRequest {
  const q = pathAndQuery.indexOf("?");
  const query = IngestQuery.parse(q < 0 ? "" : pathAndQuery.slice(q + 1));
  const name = query.name;
  let labels = Labels.EMPTY;
  try {
    labels = name === undefined || name === "" ? Labels.EMPTY : parseName(name);
  } catch {
    labels = Labels.EMPTY;
  }
  return {
    labels: ensureServiceName(labels),
    body,
    contentType,
    path: q < 0 ? pathAndQuery : pathAndQuery.slice(0, q),
    query,
    headers: headers ?? NO_HEADERS,
  };
}
