/**
 * `pyroscope.write`: forwards profiles to Pyroscope-compatible endpoints (push API and legacy `/ingest`), with
 * external labels, auth, TLS, proxies, retries and Alloy's metrics.
 */
import { RECEIVER_HOST_TYPE } from "../../../pyroscope/receiver.ts";
import type { Registration } from "../../../runtime/component.ts";
import { writeArguments } from "./arguments.ts";
import { WriteComponent } from "./write.ts";

/** The registration of `pyroscope.write` (generally available, as in Alloy). */
export const writeRegistration: Registration<typeof writeArguments.fields> = {
  name: "pyroscope.write",
  stability: "generally-available",
  description: "Forwards profiles to Pyroscope endpoints, adding external labels, with retries.",
  args: writeArguments,
  exports: [
    {
      name: "receiver",
      type: `capsule(${RECEIVER_HOST_TYPE})`,
      doc: "A value that other components can use to send profiles to.",
    },
  ],
  build: (options, args) => WriteComponent.create(options, args),
  exclusivePaths: (args) =>
    args.queue?.path === undefined ? [] : [{ path: args.queue.path, field: ["queue", "path"] }],
};
