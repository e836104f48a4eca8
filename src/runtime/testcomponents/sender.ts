/**
 * `testcomponents.sender`: takes `forward_to` (a list of receivers) and an optional secret `token`, and
 * pushes one empty profile to each receiver every time it starts, so tests see data flow along a
 * reference and see secrets handled in the API.
 */
import { Labels } from "../../pyroscope/labels.ts";
import { RECEIVER_HOST_TYPE, type Receiver } from "../../pyroscope/receiver.ts";
import { attr, body, type Infer, t } from "../../syntax/schema.ts";
import type { Secret } from "../../syntax/value.ts";
import type { Component, Registration } from "../component.ts";
import { lifecycleMetrics, untilAborted } from "./common.ts";

const args = body({
  forward_to: attr(t.list(t.capsule<Receiver>(RECEIVER_HOST_TYPE)), {
    required: true,
    doc: "Where to send.",
  }),
  token: attr(t.secret(), { doc: "A secret, never shown." }),
  note: attr(t.string(), { default: "", doc: "Free text; change it to make the arguments differ." }),
});

/** Sends one profile to each of `forward_to` when it starts running. */
export const sender: Registration<typeof args.fields> = {
  name: "testcomponents.sender",
  stability: "generally-available",
  description: "Test only: sends one profile to each receiver when it starts.",
  args,
  exports: [],
  build(options, initial) {
    const lifecycle = lifecycleMetrics(options.registry);
    lifecycle.builds.inc();
    let current: { forward_to: Receiver[]; token: Secret | undefined } = initial;
    const component: Component<Infer<typeof args>> = {
      update(a) {
        lifecycle.updates.inc();
        current = a;
      },
      async run(signal) {
        lifecycle.runs.inc();
        for (const r of current.forward_to) {
          await r.push({ headers: {}, labels: Labels.from({ service_name: "test" }), samples: [] });
        }
        await untilAborted(signal);
      },
    };
    return component;
  },
};
