/** `testcomponents.counter`: a number export that grows while it runs, to exercise export propagation. */

import { attr, body, type Infer, t } from "../../syntax/schema.ts";
import { AlloyNumber } from "../../syntax/value.ts";
import type { Component, Registration } from "../component.ts";
import { lifecycleMetrics, untilAborted } from "./common.ts";

const args = body({
  frequency: attr(t.duration(), { default: 10, doc: "How often to count." }),
  max: attr(t.int(), { default: 0, doc: "Stop counting at this value (0: never)." }),
});

/** Counts up every `frequency` while running and exports the value as `count`. */
export const counter: Registration<typeof args.fields> = {
  name: "testcomponents.counter",
  stability: "generally-available",
  description: "Test only: exports a count that grows over time.",
  args,
  exports: [{ name: "count", type: "number", doc: "The current count." }],
  build(options, initial) {
    const lifecycle = lifecycleMetrics(options.registry);
    lifecycle.builds.inc();
    let current = initial;
    let count = 0;
    options.onStateChange({ count: AlloyNumber.from(0) });
    const component: Component<Infer<typeof args>> = {
      update(a) {
        lifecycle.updates.inc();
        current = a;
      },
      async run(signal) {
        lifecycle.runs.inc();
        const timer = setInterval(() => {
          if (current.max > 0 && count >= current.max) return;
          count++;
          options.onStateChange({ count: AlloyNumber.from(count) });
        }, current.frequency);
        try {
          await untilAborted(signal);
        } finally {
          clearInterval(timer);
        }
      },
    };
    return component;
  },
};
