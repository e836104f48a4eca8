/**
 * The receiver contract every profile component shares (Alloy's `Appendable`/`Appender`, see
 * `internal/component/pyroscope/appender.go`): a consumer exports a `Receiver` as a capsule of host type
 * `pyroscope.Appendable`, and producers call it.
 *
 * Two entry points, as in Alloy:
 * - `push`: a series (a label set and raw samples) from the push API or a scraper;
 * - `ingest`: a legacy `/ingest` upload: the body is never parsed, and is passed on byte for byte.
 *
 * A request is parsed once, where it enters (receive_http), and the same object reaches every receiver: the
 * labels, the query (read with Go's rules), the pass-through headers. Expected failures are values
 * (`Failure`), not exceptions: exceptions are for bugs.
 */
import { Code } from "@connectrpc/connect";
import type { IngestQuery } from "./ingest-query.ts";
import type { Labels } from "./labels.ts";

/** The capsule host type of receivers in the Alloy language. */
export const RECEIVER_HOST_TYPE = "pyroscope.Appendable";

export interface RawSample {
  /** The client's sample ID (`RawSample.ID` in the push API); may be empty. */
  readonly id: string;
  /** The serialized profile exactly as it arrived (usually gzipped pprof): a view of the request body. */
  readonly rawProfile: Uint8Array;
}

/**
 * Request headers chosen for pass-through (`forward_headers`, e.g. `X-Scope-OrgID`): lower-case names, values
 * of repeated headers joined with `, `. Empty when there are none.
 */
export type ForwardedHeaders = Readonly<Record<string, string>>;

/** No pass-through headers. */
export const NO_HEADERS: ForwardedHeaders = Object.freeze({});

export interface PushRequest {
  readonly labels: Labels;
  readonly samples: readonly RawSample[];
  readonly headers: ForwardedHeaders;
  /** Aborted when the caller no longer wants the result (e.g. the client went away). */
  readonly signal?: AbortSignal | undefined;
  /**
   * When the client must have its answer (ms since the epoch): past it the server's write timeout closes the
   * connection unanswered. Retries stop in time to answer.
   */
  readonly answerBy?: number | undefined;
}

export interface IngestRequest {
  readonly labels: Labels;
  /** The raw request body, never parsed. */
  readonly body: Uint8Array;
  /** The `Content-Type` header values of the original request, in order. */
  readonly contentType: readonly string[];
  /** The original request path, e.g. `/ingest`. */
  readonly path: string;
  /** The original query, read once with Go's rules; `toString()` gives it back as received. */
  readonly query: IngestQuery;
  readonly headers: ForwardedHeaders;
  readonly signal?: AbortSignal | undefined;
  /** As on `PushRequest`. */
  readonly answerBy?: number | undefined;
}

/** A profile was handed on: accepted by every downstream (or durably queued). */
export interface Delivered {
  readonly ok: true;
}

/**
 * A profile did not get through. One shape from the endpoint that failed up to the client's answer:
 * - `code` says what went wrong, as a Connect code: whether a retry can help (`isRetryable`) and the code a
 *   push client is answered with;
 * - `httpStatus` is the downstream's HTTP status when one answered (or the status this relay chose, e.g. 429
 *   for a full queue); an `/ingest` client is answered with it (else with the code's status);
 * - `message` says what happened, in Alloy's words; `detail` is the downstream's own message when it sent one;
 * - `retryAfterMs` is the wait a downstream asked for (`Retry-After`).
 */
export interface Failure {
  readonly ok: false;
  readonly code: Code;
  readonly httpStatus?: number | undefined;
  readonly message: string;
  readonly detail?: string | undefined;
  readonly retryAfterMs?: number | undefined;
}

/** The result of handing a profile on. */
export type Outcome = Delivered | Failure;

export interface Receiver {
  push(request: PushRequest): Promise<Outcome>;
  ingest(request: IngestRequest): Promise<Outcome>;
}

export const OK: Delivered = Object.freeze({ ok: true });

/**
 * A failure described by an HTTP status, with the Connect code that keeps its meaning (a 400 stays
 * `invalid_argument`, a 503 `unavailable`) unless `code` says otherwise.
 */
export function failure(
  httpStatus: number,
  message: string,
  options: { readonly code?: Code; readonly retryAfterMs?: number | undefined } = {},
): Failure {
  const code = options.code ?? codeForHttpStatus(httpStatus);
  return options.retryAfterMs === undefined
    ? { ok: false, code, httpStatus, message }
    : { ok: false, code, httpStatus, message, retryAfterMs: options.retryAfterMs };
}

/** The failure for an exception a receiver threw (a bug in it: receivers report failures as values). */
export function failureOfError(err: unknown): Failure {
  return failure(500, err instanceof Error ? err.message : String(err));
}

/** Calls a receiver, turning a thrown exception into a failure. */
export async function callReceiver(call: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await call();
  } catch (err) {
    return failureOfError(err);
  }
}

/**
 * The Connect code for an HTTP status a downstream (or this relay) answered with, keeping its meaning: the
 * statuses a retry may help (408, 429, 5xx) map to codes `isRetryable` accepts, the others to codes it does not.
 */
export function codeForHttpStatus(status: number): Code {
  switch (status) {
    case 429:
      return Code.ResourceExhausted;
    case 408:
    case 504:
      return Code.DeadlineExceeded;
    case 499:
      return Code.Canceled;
    case 502:
    case 503:
      return Code.Unavailable;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 409:
      return Code.AlreadyExists;
    case 412:
      return Code.FailedPrecondition;
    default:
      // 400, 413, 422, any other refusal: the request itself is wrong; a server error may pass
      return status >= 500 ? Code.Internal : Code.InvalidArgument;
  }
}

/** The codes a retry may help with (Alloy's `shouldRetry` set, plus `resource_exhausted`). */
const RETRYABLE: ReadonlySet<Code> = new Set([
  Code.DeadlineExceeded,
  Code.Unknown,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
  Code.Aborted,
  Code.ResourceExhausted,
]);

/** Whether trying again later may help. */
export function isRetryable(code: Code): boolean {
  return RETRYABLE.has(code);
}

/**
 * The failure that decides the answer to a client when several failed: the first one worth retrying (so the
 * client retries and the transient problem can pass), otherwise the first one.
 */
export function decisiveFailure(failures: readonly Failure[]): Failure | undefined {
  return failures.find((f) => isRetryable(f.code)) ?? failures[0];
}
