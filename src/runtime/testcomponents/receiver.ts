/**
 * `testcomponents.receiver`: exports a `receiver` capsule (host type `pyroscope.Appendable`) that records
 * what it is given, like `pyroscope.write` exports one.
 */
import { Counter } from "prom-client";
import { OK, RECEIVER_HOST_TYPE, type Receiver } from "../../pyroscope/receiver.ts";
import { body } from "../../syntax/schema.ts";
import { Capsule } from "../../syntax/value.ts";
import type { Registration } from "../component.ts";
import { lifecycleMetrics, untilAborted } from "./common.ts";

const args = body({});

/** Records pushes and ingests; `testcomponents_received_total` counts them. */
export const receiver: Registration<typeof args.fields> = {
  name: "testcomponents.receiver",
  stability: "generally-available",
  description: "Test only: exports a receiver that counts what it receives.",
  args,
  exports: [{ name: "receiver", type: `capsule(${RECEIVER_HOST_TYPE})`, doc: "Counts what it receives." }],
  build(options) {
    const lifecycle = lifecycleMetrics(options.registry);
    lifecycle.builds.inc();
    const received = new Counter({
      name: "testcomponents_received_total",
      help: "Profiles received.",
      registers: [options.registry],
    });
    const impl: Receiver = {
      async push() {
        received.inc();
        return OK;
      },
      async ingest() {
        received.inc();
        return OK;
      },
    };
    options.onStateChange({ receiver: new Capsule(RECEIVER_HOST_TYPE, impl) });
    return {
      update() {
        lifecycle.updates.inc();
      },
      async run(signal) {
        lifecycle.runs.inc();
        await untilAborted(signal);
      },
    };
  },
};
