/**
 * The arguments of `pyroscope.write`, declared once: names, defaults and validation messages are Alloy's
 * (`write.go` `EndpointOptions` plus the squashed HTTP client config of `common/config/types.go`).
 * `tracing {}` and `debug_info_upload_timeout` are accepted for compatibility and have no effect.
 */
import { httpClientFields, validateHttpClient } from "../../../http/schema.ts";
import { attr, block, blocks, body, type InferFields, t } from "../../../syntax/schema.ts";

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

/** `endpoint { ... }`. */
export const endpointBody = body(endpointFields, { validate: (v) => validateHttpClient(v) });

const tracingBody = body({
  jaeger_propagator: attr(t.bool(), { default: true, doc: "Accepted for compatibility; not used." }),
  trace_context_propagator: attr(t.bool(), { default: true, doc: "Accepted for compatibility; not used." }),
});

const writeFields = {
  external_labels: attr(t.map(t.string()), {
    doc: "Labels to add to profiles sent over the network; they win over the profile's own, and an empty value removes the label.",
  }),
  endpoint: blocks(endpointBody, {
    doc: "A location to send profiles to; profiles go to every endpoint concurrently.",
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
