/**
 * Turns a queued item into attempts on an endpoint: the push message (or the ingest call) is built once per
 * item and reused by every attempt and retry, on whichever endpoint object is current at that attempt.
 */
import { create } from "@bufbuild/protobuf";
import { HeaderList } from "../../../../http/headers.ts";
import { PushRequestSchema } from "../../../../pyroscope/gen/push/v1/push_pb.ts";
import type { AttemptResult, Endpoint, IngestCall } from "../endpoint.ts";
import type { QueueItem } from "./item.ts";

/** One attempt of sending `item` to an endpoint. */
export type ItemAttempt = (endpoint: Endpoint, signal: AbortSignal) => Promise<AttemptResult>;

/** Prepares the attempts for `item`. */
export function itemAttempt(item: QueueItem): ItemAttempt {
  const forwarded = new HeaderList();
  for (const [name, value] of item.headers) forwarded.add(name, value);
  if (item.kind === "push") {
    const message = create(PushRequestSchema, {
      series: [
        {
          labels: item.labels.map((l) => ({ name: l.name, value: l.value })),
          samples: item.samples.map((s) => ({ rawProfile: s.rawProfile, ID: s.id })),
        },
      ],
    });
    return (endpoint, signal) => endpoint.pushAttempt(message, forwarded, signal);
  }
  const call: IngestCall = {
    body: item.body,
    contentType: item.contentType,
    path: item.path,
    query: item.query,
    forwardedHeaders: forwarded,
  };
  return (endpoint, signal) => endpoint.ingestAttempt(call, signal);
}
