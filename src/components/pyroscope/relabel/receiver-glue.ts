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
}

/** The receiver `pyroscope.relabel` exports. */
export function relabelReceiver(stage: RelabelStage): Receiver {
  return {
    async push(request) {
      if (stage.exited) return exited(stage.id);
      const labels = stage.relabel(request.labels);
      if (labels === undefined) return OK;
      return stage.next.push(labels === request.labels ? request : { ...request, labels });
    },
    async ingest(request) {
      if (stage.exited) return exited(stage.id);
      const labels = stage.relabel(request.labels);
      if (labels === undefined) return OK;
      return stage.next.ingest(labels === request.labels ? request : { ...request, labels });
    },
  };
}

function exited(id: string): Outcome {
  return failure(503, `${id} has exited`);
}
