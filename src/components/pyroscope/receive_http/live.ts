/**
 * What `pyroscope.receive_http` shows live debugging: each upload or push series after it was handed to the
 * `forward_to` receivers, with the outcome (delivered, or each receiver's failure as the client saw it).
 */
import type { PushRequest as PushMessage } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import { ensureServiceName, labelsFromPairs } from "../../../pyroscope/label-rules.ts";
import type { IngestRequest } from "../../../pyroscope/receiver.ts";
import {
  type DeliveryOutcome,
  ingestEvent,
  outcomeAt,
  pushEvent,
} from "../../../runtime/livedebugging/event.ts";
import type { ComponentTap } from "../../../runtime/livedebugging/hub.ts";
import type { Failure } from "./forward.ts";

/** The outcomes of handing a profile to `receivers` receivers of which `failures` failed. */
export function forwardOutcomes(receivers: number, failures: readonly Failure[]): DeliveryOutcome[] {
  if (receivers === 0) return [{ target: "forward_to", state: "dropped", reason: "forward_to is empty" }];
  if (failures.length === 0) return [{ target: "forward_to", state: "delivered" }];
  return failures.map((f) => ({ ...outcomeAt("forward_to", f.outcome), reason: f.message }));
}

/** Publishes an ingest upload. */
export function publishIngest(
  tap: ComponentTap,
  request: IngestRequest,
  receivers: number,
  failures: readonly Failure[],
): void {
  tap.publish(ingestEvent(request, forwardOutcomes(receivers, failures)));
}

/** Publishes every series of a push request (labels as the receivers got them). */
export function publishPush(
  tap: ComponentTap,
  request: PushMessage,
  receivers: number,
  failures: readonly Failure[],
): void {
  const outcomes = forwardOutcomes(receivers, failures);
  for (const series of request.series) {
    const labels = ensureServiceName(labelsFromPairs(series.labels));
    const samples = series.samples.map((s) => ({ id: s.ID, rawProfile: s.rawProfile }));
    tap.publish(pushEvent({ labels, samples }, outcomes));
  }
}
