/** `testcomponents.passthrough`: exports `output`, always equal to its `input` argument. */
import { attr, body, type Infer, t } from "../../syntax/schema.ts";
import type { Component, Registration } from "../component.ts";
import { lifecycleMetrics, untilAborted } from "./common.ts";

const args = body({
  input: attr(t.any(), { required: true, doc: "The value to export as `output`." }),
});

/** Passes its input through to its `output` export, for graph and re-evaluation tests. */
export const passthrough: Registration<typeof args.fields> = {
  name: "testcomponents.passthrough",
  stability: "generally-available",
  description: "Test only: exports its input as output.",
  args,
  exports: [{ name: "output", type: "any", doc: "The input." }],
  build(options, initial) {
    const lifecycle = lifecycleMetrics(options.registry);
    lifecycle.builds.inc();
    const component: Component<Infer<typeof args>> = {
      update(a) {
        lifecycle.updates.inc();
        options.onStateChange({ output: a.input });
      },
      async run(signal) {
        lifecycle.runs.inc();
        await untilAborted(signal);
      },
    };
    options.onStateChange({ output: initial.input });
    return component;
  },
};
