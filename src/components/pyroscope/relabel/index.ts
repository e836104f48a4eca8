/**
 * The registration of `pyroscope.relabel`: Prometheus relabelling of profile labels, as in Alloy.
 */
import { RECEIVER_HOST_TYPE } from "../../../pyroscope/receiver.ts";
import type { Registration } from "../../../runtime/component.ts";
import { relabelArguments } from "./arguments.ts";
import { RelabelComponent, RULES_HOST_TYPE } from "./relabel.ts";

/** `pyroscope.relabel` (generally available, as in Alloy). */
export const relabelRegistration: Registration<typeof relabelArguments.fields> = {
  name: "pyroscope.relabel",
  stability: "generally-available",
  description: "Rewrites, keeps or drops profiles by their labels with Prometheus relabelling rules.",
  args: relabelArguments,
  exports: [
    {
      name: "receiver",
      type: `capsule(${RECEIVER_HOST_TYPE})`,
      doc: "A value other components can use to send profiles to be relabelled.",
    },
    {
      name: "rules",
      type: `capsule(${RULES_HOST_TYPE})`,
      doc: "The relabelling rules of this component, for other components to reuse.",
    },
  ],
  build: (options, args) => new RelabelComponent(options, args),
};
