/**
 * The messages between the primary of `run --workers=N` and its workers, over the IPC channel node:cluster
 * opens (with `serialization: "advanced"`, so buffers and maps pass as they are). The primary asks, a worker
 * answers with a `reply` carrying the same `id`; a worker also says when it is `up` (its agent created,
 * waiting for a config) and forwards live debugging events the primary's UI watches.
 */

import type { ProfileEvent } from "../runtime/livedebugging/event.ts";
import type { LoggingConfig } from "../runtime/logging.ts";
import type { ComponentJSON } from "../server/components-api.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";

/** What a worker needs to start: everything `run` parsed from its flags. */
export interface WorkerSettings {
  readonly configPath: string;
  readonly storagePath: string;
  readonly minStability: "experimental" | "public-preview" | "generally-available";
  readonly stopDeadlineMs: number;
  readonly index: number;
  readonly count: number;
}

/** The environment variable that carries `WorkerSettings` (JSON) to a worker. */
export const WORKER_SETTINGS_ENV = "PROFILE_RELAY_WORKER";

/** A question of the primary, with what the worker answers. */
export type Request =
  | { readonly kind: "load"; readonly sources: readonly { filename: string; text: string }[] }
  | { readonly kind: "status" }
  | { readonly kind: "metrics" }
  | { readonly kind: "componentMetrics"; readonly id: string }
  | { readonly kind: "component"; readonly id: string };

/** A worker's answer to a `load`. */
export interface LoadReply {
  readonly error: string | undefined;
  /** Every diagnostic (messages masked); for the start-up printout. */
  readonly diagnostics: readonly Diagnostic[];
  /** The `logging` block in force after the load. */
  readonly logging: LoggingConfig;
  /** Whether the `livedebugging` block enables live debugging. */
  readonly liveDebugging: boolean;
}

/** A worker's answer to `status`: its side of `/-/healthy` and the components API. */
export interface StatusReply {
  readonly unhealthy: readonly string[];
  readonly components: readonly ComponentJSON[];
}

/** Primary → worker. */
export type ToWorker =
  | { readonly type: "request"; readonly id: number; readonly request: Request }
  | { readonly type: "shutdown" }
  /** Which components someone watches in the primary's UI (`counting`: the graph counts every one). */
  | { readonly type: "live"; readonly watched: readonly string[]; readonly counting: boolean };

/** Worker → primary. */
export type FromWorker =
  | { readonly type: "up" }
  | { readonly type: "reply"; readonly id: number; readonly value: unknown; readonly error?: string }
  | { readonly type: "live"; readonly componentId: string; readonly event: ProfileEvent };

/** Whether `message` is one of ours (the IPC channel also carries node:cluster's internal messages). */
export function isFromWorker(message: unknown): message is FromWorker {
  if (typeof message !== "object" || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === "up" || type === "reply" || type === "live";
}

/** Whether `message` is one of ours, sent by the primary. */
export function isToWorker(message: unknown): message is ToWorker {
  if (typeof message !== "object" || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === "request" || type === "shutdown" || type === "live";
}
