/**
 * The registration of `pyroscope.capture`: stores the profiles it receives on local disk, in their original
 * formats, for people to open and for `profile-relay replay` to send on later.
 */
import { RECEIVER_HOST_TYPE } from "../../../pyroscope/receiver.ts";
import type { Registration } from "../../../runtime/component.ts";
import { captureArguments } from "./arguments.ts";
import { CaptureComponent } from "./capture.ts";

/** `pyroscope.capture`. Generally available: the first-run config uses it at the default stability level. */
export const captureRegistration: Registration<typeof captureArguments.fields> = {
  name: "pyroscope.capture",
  stability: "generally-available",
  description: "Stores received profiles on local disk in their original formats, with retention.",
  args: captureArguments,
  exports: [
    {
      name: "receiver",
      type: `capsule(${RECEIVER_HOST_TYPE})`,
      doc: "A value other components can use to send profiles to be captured.",
    },
  ],
  build(options, args) {
    return new CaptureComponent(options, args);
  },
};
