/**
 * Helpers for runtime tests: a controller over config text, with the test components registered and logs
 * captured, and a bounded wait for asynchronous conditions.
 */
import type { Registry } from "prom-client";
import type { Diagnostic } from "../../syntax/diagnostics.ts";
import { parseFile } from "../../syntax/parser.ts";
import type { AnyRegistration, Stability } from "../component.ts";
import { Controller } from "../controller.ts";
import { defaultDecoder, isStdlibName } from "../decoder.ts";
import type { LiveDebuggingConfig } from "../livedebugging/block.ts";
import { createLogging, type LoggingConfig } from "../logging.ts";
import { createRegistry } from "../registry.ts";
import { testComponents } from "./index.ts";

/** A controller for tests, with its captured log lines. */
export interface TestController {
  readonly controller: Controller;
  readonly logs: string[];
  /** The logging configurations applied, in order. */
  readonly loggingConfigs: LoggingConfig[];
  /** Every `livedebugging` config applied, in order. */
  readonly liveDebuggingConfigs: LiveDebuggingConfig[];
  /** Parses `files` (name → text; a string is `main.alloy`) and loads them. */
  load(files: string | Readonly<Record<string, string>>): Promise<Diagnostic[]>;
}

export function testController(
  options: { extra?: readonly AnyRegistration[]; minStability?: Stability; stopDeadlineMs?: number } = {},
): TestController {
  const logs: string[] = [];
  const loggingConfigs: LoggingConfig[] = [];
  const liveDebuggingConfigs: LiveDebuggingConfig[] = [];
  const { logger } = createLogging({ out: (t) => logs.push(t) });
  logger.level = "debug";
  const controller = new Controller({
    registry: createRegistry([...testComponents, ...(options.extra ?? [])]),
    logger,
    storagePath: "/tmp/profile-relay-test-data",
    minStability: options.minStability ?? "generally-available",
    decode: defaultDecoder,
    isStdlibName,
    onLoggingConfig: (c) => loggingConfigs.push(c),
    onLiveDebuggingConfig: (c) => liveDebuggingConfigs.push(c),
    stopDeadlineMs: options.stopDeadlineMs ?? 5_000,
  });
  return {
    controller,
    logs,
    loggingConfigs,
    liveDebuggingConfigs,
    load(files) {
      const sources = typeof files === "string" ? { "main.alloy": files } : files;
      const parsed = Object.entries(sources).map(([name, text]) => {
        const p = parseFile(text, name);
        if (p.diagnostics.length > 0) {
          throw new Error(`parse errors in ${name}: ${p.diagnostics.map((d) => d.message).join("; ")}`);
        }
        return p.file;
      });
      return controller.load(parsed);
    },
  };
}

/** Polls `condition` until it holds; fails after `timeoutMs` with `message`. */
export async function waitFor(condition: () => boolean, message: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The value of a counter or gauge without labels in a registry (0 when absent). */
export async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const data = await metric.get();
  return data.values[0]?.value ?? 0;
}
