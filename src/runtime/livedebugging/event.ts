/**
 * What live debugging shows of one profile passing a component: when, which route, its labels, format and
 * size, and what became of it downstream. The raw profile bytes ride along (by reference, never copied) so
 * the UI can draw the flamegraph of a profile someone selects; they stay on the server.
 *
 * `pushEvent` and `ingestEvent` build an event from the receiver requests every profile component shares
 * (`src/pyroscope/receiver.ts`), so each component's hook is one call.
 */
import type { IngestQuery } from "../../pyroscope/ingest-query.ts";
import { type IngestRequest, isRetryable, type Outcome, type PushRequest } from "../../pyroscope/receiver.ts";

/** What became of a profile at one downstream (a receiver, or a write endpoint). */
export type DeliveryState = "delivered" | "queued" | "retrying" | "dropped" | "failed";

/** The outcome at one downstream. */
export interface DeliveryOutcome {
  /** The downstream: an endpoint name, `appendable 0`, `capture store`, ... */
  readonly target: string;
  readonly state: DeliveryState;
  /** The HTTP status behind a `retrying`, `dropped` or `failed` state, when there is one. */
  readonly httpStatus?: number | undefined;
  /** Why it was dropped or failed. */
  readonly reason?: string | undefined;
}

/** One profile passing a component. */
export interface ProfileEvent {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly route: "push" | "ingest";
  readonly labels: Readonly<Record<string, string>>;
  /** `pprof`, `jfr`, `folded`, ... (the ingest `format` parameter; push is always pprof). */
  readonly format: string;
  /** Bytes of profile data (every sample of a push series, the body of an ingest). */
  readonly size: number;
  /** The raw profiles: each sample of a push series, or the one ingest body. Not copied, not sent in streams. */
  readonly profiles: readonly Uint8Array[];
  /** The ingest request's `Content-Type` (multipart bodies need its boundary to be read). */
  readonly contentType?: string | undefined;
  /** Per downstream, what became of it; empty when not known yet. */
  readonly outcomes: readonly DeliveryOutcome[];
}

/** An event for a push series and what happened to it. */
export function pushEvent(request: PushRequest, outcomes: readonly DeliveryOutcome[]): ProfileEvent {
  let size = 0;
  for (const s of request.samples) size += s.rawProfile.byteLength;
  return {
    time: Date.now(),
    route: "push",
    labels: request.labels.toRecord(),
    format: "pprof",
    size,
    profiles: request.samples.map((s) => s.rawProfile),
    outcomes,
  };
}

/** An event for an ingest upload and what happened to it. */
export function ingestEvent(request: IngestRequest, outcomes: readonly DeliveryOutcome[]): ProfileEvent {
  const contentType = request.contentType[0];
  return {
    time: Date.now(),
    route: "ingest",
    labels: request.labels.toRecord(),
    format: ingestFormat(request.query, contentType),
    size: request.body.byteLength,
    profiles: [request.body],
    contentType,
    outcomes,
  };
}

/** The format of an ingest body as Pyroscope reads it: the `format` parameter, `folded` without one. */
export function ingestFormat(query: IngestQuery, contentType: string | undefined): string {
  const format = query.get("format") ?? "";
  if (format !== "") return format;
  return contentType?.startsWith("multipart/form-data") ? "pprof" : "folded";
}

/** The outcome of handing a profile to one receiver. */
export function outcomeAt(target: string, outcome: Outcome): DeliveryOutcome {
  if (outcome.ok) return { target, state: "delivered" };
  return {
    target,
    state: isRetryable(outcome.code) ? "failed" : "dropped",
    httpStatus: outcome.httpStatus,
    reason: outcome.message,
  };
}
