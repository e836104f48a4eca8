/**
 * Where `pyroscope.relabel` meets the data path: the exported receiver runs the relabelling on a profile's
 * labels and hands the profile, with its new labels, to the next receiver (the `forward_to` fan-out). Every
 * use of the request and outcome types is here, so a change to them stays in this file.
 *
 * As in Alloy (`Append` / `AppendIngest`):
 * - push: the series' labels are relabelled and the samples go on untouched;
 * - ingest: the labels parsed from `name=` are relabelled; the body, content types and query go on
 *   untouched (`pyroscope.write` rebuilds `name=` from the labels);
 * - a profile the rules drop is answered `ok` (the client gets 200) and goes nowhere;
 * - after the component has stopped, calls fail with `<id> has exited`.
 */
import type { Labels } from "../../../pyroscope/labels.ts";
import { failure, OK, type Outcome, type Receiver } from "../../../pyroscope/receiver.ts";
import {
  type DeliveryOutcome,
  ingestEvent,
  outcomeAt,
  pushEvent,
} from "../../../runtime/livedebugging/event.ts";
import type { ComponentTap } from "../../../runtime/livedebugging/hub.ts";

/** What the receiver needs from the component. */
export interface RelabelStage {
  /** The component ID, for the "has exited" message. */
  readonly id: string;
  /** Whether the component's `run` has ended. */
  readonly exited: boolean;
  /** The relabelled labels (the same object when unchanged), or `undefined` when the profile is dropped. */
  relabel(labels: Labels): Labels | undefined;
  /** Where kept profiles go. */
  readonly next: Receiver;
  /** Live debugging: each profile with its new labels, and what became of it. */
  readonly tap: ComponentTap;
}

const DROPPED: readonly DeliveryOutcome[] = [
  { target: "rules", state: "dropped", reason: "dropped by a rule" },
];

/** The receiver `pyroscope.relabel` exports. */
export function relabelReceiver(stage: RelabelStage): Receiver {
  return {
    async push(request) {
      if (stage.exited) return exited(stage.id);
      const labels = stage.relabel(request.labels);
      if (labels === undefined) {
        if (stage.tap.watched) stage.tap.publish(pushEvent(request, DROPPED));
        return OK;
      }
      const next = labels === request.labels ? request : { ...request, labels };
      const outcome = await stage.next.push(next);
      if (stage.tap.watched) stage.tap.publish(pushEvent(next, [outcomeAt("forward_to", outcome)]));
      return outcome;
    },
    async ingest(request) {
      if (stage.exited) return exited(stage.id);
      const labels = stage.relabel(request.labels);
      if (labels === undefined) {
        if (stage.tap.watched) stage.tap.publish(ingestEvent(request, DROPPED));
        return OK;
      }
      const next = labels === request.labels ? request : { ...request, labels };
      const outcome = await stage.next.ingest(next);
      if (stage.tap.watched) stage.tap.publish(ingestEvent(next, [outcomeAt("forward_to", outcome)]));
      return outcome;
    },
  };
}

function exited(id: string): Outcome {
  return failure(503, `${id} has exited`);
}
