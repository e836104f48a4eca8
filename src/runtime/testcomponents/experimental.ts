/** `testcomponents.experimental`: an experimental component, for `--stability.level` tests. */
import { body } from "../../syntax/schema.ts";
import type { Registration } from "../component.ts";
import { untilAborted } from "./common.ts";

const args = body({});

/** Does nothing; only its stability level matters. */
export const experimental: Registration<typeof args.fields> = {
  name: "testcomponents.experimental",
  stability: "experimental",
  description: "Test only: an experimental component.",
  args,
  exports: [],
  build() {
    return { update() {}, run: (signal) => untilAborted(signal) };
  },
};
