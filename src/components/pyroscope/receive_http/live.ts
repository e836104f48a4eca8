/**
 * What `pyroscope.receive_http` shows live debugging: each upload or push series after it was handed to the
 * `forward_to` receivers, with the outcome (delivered, or each receiver's failure as the client saw it).
 */
import type { IngestRequest, PushRequest } from "../../../pyroscope/receiver.ts";
import {
  type DeliveryOutcome,
  ingestEvent,
  outcomeAt,
  pushEvent,
} from "../../../runtime/livedebugging/event.ts";
import type { ComponentTap } from "../../../runtime/livedebugging/hub.ts";
import type { FailedCall } from "./forward.ts";

/** The outcomes of handing a profile to `receivers` receivers of which `failures` failed. */
export function forwardOutcomes(receivers: number, failures: readonly FailedCall[]): DeliveryOutcome[] {
  if (receivers === 0) return [{ target: "forward_to", state: "dropped", reason: "forward_to is empty" }];
  if (failures.length === 0) return [{ target: "forward_to", state: "delivered" }];
  return failures.map((f) => ({ ...outcomeAt("forward_to", f.failure), reason: f.text }));
}

/** Publishes an ingest upload. */
export function publishIngest(
  tap: ComponentTap,
  request: IngestRequest,
  receivers: number,
  failures: readonly FailedCall[],
): void {
  tap.publish(ingestEvent(request, forwardOutcomes(receivers, failures)));
}

/** Publishes every series of a push request, as the receivers got them. */
export function publishPush(
  tap: ComponentTap,
  series: readonly PushRequest[],
  receivers: number,
  failures: readonly FailedCall[],
): void {
  const outcomes = forwardOutcomes(receivers, failures);
  for (const request of series) tap.publish(pushEvent(request, outcomes));
}
