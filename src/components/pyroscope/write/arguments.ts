/**
 * The arguments of `pyroscope.write`, declared once: names, defaults and validation messages are Alloy's
 * (`write.go` `EndpointOptions` plus the squashed HTTP client config of `common/config/types.go`).
 * `tracing {}` and `debug_info_upload_timeout` are accepted for compatibility and have no effect. The
 * `queue` block is ours (durable delivery); without it the component behaves as Alloy's.
 */
import { redactUrl } from "../../../http/redact-url.ts";
import { httpClientFields, validateHttpClient } from "../../../http/schema.ts";
import {
  attr,
  block,
  blocks,
  body,
  type InferFields,
  t,
  type ValidationIssue,
} from "../../../syntax/schema.ts";

const endpointFields = {
  url: attr(t.string(), { required: true, doc: "Base URL of the Pyroscope server to send profiles to." }),
  name: attr(t.string(), {
    default: "",
    doc: "Name of the endpoint; when set it is the `endpoint` label of the write metrics (instead of the URL).",
  }),
  remote_timeout: attr(t.duration(), {
    default: 10_000,
    doc: "Timeout of each request (each attempt) to the endpoint.",
  }),
  headers: attr(t.map(t.string()), {
    doc: "Extra headers to deliver with each request; they replace headers of the same name.",
  }),
  min_backoff_period: attr(t.duration(), { default: 500, doc: "Initial backoff time between retries." }),
  max_backoff_period: attr(t.duration(), { default: 300_000, doc: "Maximum backoff time between retries." }),
  max_backoff_retries: attr(t.int(), {
    default: 10,
    doc: "Maximum number of attempts (the first one included); 0 retries without limit.",
  }),
  retry_on_http_429: attr(t.bool(), {
    default: true,
    doc: "Whether HTTP 429 and Connect `resource_exhausted` responses are retried.",
  }),
  debug_info_upload_timeout: attr(t.duration(), {
    default: 120_000,
    doc: "Accepted for compatibility with Alloy (eBPF debug info uploads); not used.",
  }),
  ...httpClientFields,
} as const;

/** One decoded `endpoint` block. */
export type EndpointArguments = InferFields<typeof endpointFields>;

/**
 * A `url` that can never work, in words that say what to write instead; `undefined` when it is usable. An
 * empty one is left to the component (it may come from an environment variable that `validate` in CI
 * does not have, and Alloy's `validate` accepts it).
 */
export function endpointUrlProblem(url: string): string | undefined {
  if (url === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `url "${redactUrl(url)}" is not a valid URL: use the base URL of the Pyroscope server, e.g. "http://pyroscope:4040"`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `url "${redactUrl(url)}" must start with http:// or https://, e.g. "http://pyroscope:4040"`;
  }
  return undefined;
}

function validateEndpoint(v: InferFields<typeof endpointFields>): ValidationIssue[] {
  const problem = endpointUrlProblem(v.url);
  return [...(problem === undefined ? [] : [{ message: problem, field: "url" }]), ...validateHttpClient(v)];
}

/** `endpoint { ... }`. */
export const endpointBody = body(endpointFields, { validate: validateEndpoint });

const tracingBody = body({
  jaeger_propagator: attr(t.bool(), { default: true, doc: "Accepted for compatibility; not used." }),
  trace_context_propagator: attr(t.bool(), { default: true, doc: "Accepted for compatibility; not used." }),
});

/** 1 GiB: the default `queue { max_size }`. */
export const DEFAULT_QUEUE_MAX_SIZE = 1024 ** 3;

/** 1 hour: the default `queue { max_age }` (Pyroscope refuses profiles older than 1h by default). */
export const DEFAULT_QUEUE_MAX_AGE_MS = 3_600_000;

/** The default `queue { max_inflight_per_endpoint }`. */
export const DEFAULT_QUEUE_MAX_INFLIGHT = 4;

/** The values of `queue { fsync }`. */
export const FSYNC_MODES = ["always", "interval", "never"] as const;

const queueFields = {
  path: attr(t.string(), {
    doc: "Folder of the queue (log segments, cursors, dead letters). Defaults to the component's folder under `--storage.path`.",
  }),
  max_size: attr(t.size(), {
    default: DEFAULT_QUEUE_MAX_SIZE,
    doc: "Largest size of the queue on disk, for the whole relay (with `run --workers`, each worker's shard holds its share); when it is reached, profiles are refused with 429 and `Retry-After`.",
  }),
  max_age: attr(t.duration(), {
    default: DEFAULT_QUEUE_MAX_AGE_MS,
    doc: "Profiles older than this are dropped (counted as expired) instead of sent.",
  }),
  fsync: attr<(typeof FSYNC_MODES)[number]>(t.enum(...FSYNC_MODES), {
    default: "always",
    doc: 'When writes are synced to disk: `"always"` before each acknowledgement (batched), `"interval"` every second, `"never"` (left to the OS).',
  }),
  max_inflight_per_endpoint: attr(t.int(), {
    default: DEFAULT_QUEUE_MAX_INFLIGHT,
    doc: "Profiles sent to one endpoint at the same time, by the whole relay (with `run --workers`, each worker sends its share, at least one).",
  }),
} as const;

function validateQueue(v: InferFields<typeof queueFields>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (v.path !== undefined && v.path.trim() === "") {
    issues.push({ message: "path must not be empty", field: "path" });
  }
  if (!(v.max_size > 0)) issues.push({ message: "max_size must be greater than 0", field: "max_size" });
  if (!(v.max_age > 0)) issues.push({ message: "max_age must be greater than 0", field: "max_age" });
  if (!(v.max_inflight_per_endpoint >= 1)) {
    issues.push({
      message: "max_inflight_per_endpoint must be at least 1",
      field: "max_inflight_per_endpoint",
    });
  }
  return issues;
}

/** `queue { ... }`. */
export const queueBody = body(queueFields, { validate: validateQueue });

/** One decoded `queue` block. */
export type QueueArguments = InferFields<typeof queueFields>;

const writeFields = {
  external_labels: attr(t.map(t.string()), {
    doc: "Labels to add to profiles sent over the network; they win over the profile's own, and an empty value removes the label.",
  }),
  endpoint: blocks(endpointBody, {
    doc: "A location to send profiles to; profiles go to every endpoint concurrently.",
  }),
  queue: block(queueBody, {
    doc: "Not in Alloy. A durable queue on disk: profiles are acknowledged once written to it, and each endpoint is sent them on its own. See [Durable delivery](durable-delivery.md).",
  }),
  tracing: block(tracingBody, {
    absent: "defaults",
    doc: "Trace propagation settings, accepted for compatibility with Alloy; not used.",
  }),
} as const;

/** The decoded arguments of `pyroscope.write`. */
export type WriteArguments = InferFields<typeof writeFields>;

/** The argument schema of `pyroscope.write`. */
export const writeArguments = body(writeFields);
