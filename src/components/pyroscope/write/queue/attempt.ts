/**
 * Turns a queued item into attempts on an endpoint: the request (a push body encoded once, or the ingest call)
 * is built once per item and sent as it is by every attempt and retry, on whichever endpoint object is
 * current at that attempt.
 */
import { encodePushBody } from "../../../../pyroscope/push-body.ts";
import type { Outcome } from "../../../../pyroscope/receiver.ts";
import type { Endpoint, IngestCall, PushCall } from "../endpoint.ts";
import type { QueueItem } from "./item.ts";

/** One attempt of sending `item` to an endpoint. */
export type ItemAttempt = (endpoint: Endpoint, signal: AbortSignal) => Promise<Outcome>;

/** Prepares the attempts for `item`. */
export function itemAttempt(item: QueueItem): ItemAttempt {
  const headers = Object.fromEntries(item.headers);
  if (item.kind === "push") {
    const call: PushCall = { body: encodePushBody(item.labels, item.samples), headers, tenant: item.tenant };
    return (endpoint, signal) => endpoint.push(call, signal);
  }
  const call: IngestCall = {
    body: item.body,
    contentType: item.contentType,
    path: item.path,
    query: item.query,
    headers,
    tenant: item.tenant,
  };
  return (endpoint, signal) => endpoint.ingest(call, signal);
}
