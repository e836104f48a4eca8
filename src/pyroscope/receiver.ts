/**
 * The receiver contract every profile component shares (Alloy's `Appendable`/`Appender`, see
 * `internal/component/pyroscope/appender.go`): a consumer exports a `Receiver` as a capsule of host type
 * `pyroscope.Appendable`, and producers call it.
 *
 * Two entry points, as in Alloy:
 * - `push`: a series (a label set and raw samples) from the push API or a scraper;
 * - `ingest`: a legacy `/ingest` upload: the body is never parsed, and is passed on byte for byte.
 *
 * Expected failures are values (`Outcome`), not exceptions: exceptions are for bugs.
 */
import type { Labels } from "./labels.ts";

/** The capsule host type of receivers in the Alloy language. */
export const RECEIVER_HOST_TYPE = "pyroscope.Appendable";

export interface RawSample {
  /** The client's sample ID (`RawSample.ID` in the push API); may be empty. */
  readonly id: string;
  /** The serialized profile exactly as it arrived (usually gzipped pprof). */
  readonly rawProfile: Uint8Array;
}

export interface PushRequest {
  readonly labels: Labels;
  readonly samples: readonly RawSample[];
  /** Request headers chosen for pass-through (e.g. `X-Scope-OrgID`), lower-cased names; as on `IngestRequest`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Aborted when the caller no longer wants the result (e.g. the client went away). */
  readonly signal?: AbortSignal | undefined;
}

export interface IngestRequest {
  readonly labels: Labels;
  /** The raw request body, never parsed. */
  readonly body: Uint8Array;
  /** The `Content-Type` header values of the original request, in order. */
  readonly contentType: readonly string[];
  /** The original request path, e.g. `/ingest`. */
  readonly path: string;
  /** The original query string, without the leading `?`. */
  readonly query: string;
  /** Request headers chosen for pass-through (e.g. `X-Scope-OrgID`), lower-cased names. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The result of handing a profile on.
 * - `ok`: accepted by every downstream (or durably queued).
 * - `rejected`: a downstream refused it and retrying will not help (a 4xx); the status and message should
 *   reach the client.
 * - `failed`: it did not get through but may later (5xx, timeouts, a full queue); `retryAfterMs` when known.
 */
export type Outcome =
  | { readonly status: "ok" }
  | { readonly status: "rejected"; readonly httpStatus: number; readonly message: string }
  | {
      readonly status: "failed";
      readonly httpStatus: number;
      readonly message: string;
      readonly retryAfterMs?: number | undefined;
    };

export interface Receiver {
  push(request: PushRequest): Promise<Outcome>;
  ingest(request: IngestRequest): Promise<Outcome>;
}

export const OK: Outcome = Object.freeze({ status: "ok" });
