/**
 * `testcomponents.failing`: fails on demand, for health and error-path tests: when built, when updated,
 * while running, by reporting itself unhealthy, or by never stopping.
 */
import { attr, body, type Infer, t } from "../../syntax/schema.ts";
import type { Component, Health, Registration } from "../component.ts";
import { health } from "../health.ts";
import { lifecycleMetrics, untilAborted } from "./common.ts";

const args = body({
  build_error: attr(t.string(), { default: "", doc: "Fail to build with this message." }),
  update_error: attr(t.string(), { default: "", doc: "Reject updates with this message." }),
  run_error: attr(t.string(), { default: "", doc: "Make run fail at once with this message." }),
  unhealthy: attr(t.string(), { default: "", doc: "Report itself unhealthy with this message." }),
  ignore_stop: attr(t.bool(), { default: false, doc: "Keep running after being asked to stop." }),
  only_in_worker: attr(t.int(), {
    default: -1,
    doc: "Fail (build, update, unhealthy) only in this worker of `run --workers`; -1: in every process.",
  }),
});

/** Fails the way its arguments say. */
export const failing: Registration<typeof args.fields> = {
  name: "testcomponents.failing",
  stability: "generally-available",
  description: "Test only: fails on demand.",
  args,
  exports: [],
  build(options, initial) {
    const here = (a: Infer<typeof args>) => a.only_in_worker < 0 || a.only_in_worker === options.worker.index;
    if (initial.build_error !== "" && here(initial)) throw new Error(initial.build_error);
    const lifecycle = lifecycleMetrics(options.registry);
    lifecycle.builds.inc();
    let current = initial;
    let reported: Health = health("healthy", "ok");
    const component: Component<Infer<typeof args>> = {
      update(a) {
        if (a.update_error !== "" && here(a)) throw new Error(a.update_error);
        lifecycle.updates.inc();
        current = a;
        reported =
          a.unhealthy === "" || !here(a) ? health("healthy", "ok") : health("unhealthy", a.unhealthy);
      },
      async run(signal) {
        lifecycle.runs.inc();
        if (current.run_error !== "") throw new Error(current.run_error);
        await untilAborted(signal);
        if (current.ignore_stop) await new Promise<void>(() => {});
      },
      health: () => reported,
    };
    if (initial.unhealthy !== "" && here(initial)) reported = health("unhealthy", initial.unhealthy);
    return component;
  },
};
