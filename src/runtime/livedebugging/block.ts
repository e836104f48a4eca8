/**
 * The `livedebugging` config block (Alloy's `livedebugging` service): `enabled` turns the live debugging
 * streams of the UI on. Off by default, as in Alloy, so nothing is tapped unless the config asks for it.
 */
import { attr, body, t } from "../../syntax/schema.ts";

/** The schema of the `livedebugging` block. */
export const liveDebuggingSchema = body({
  enabled: attr(t.bool(), {
    default: false,
    doc: "Whether the UI may stream the profiles passing through components (live debugging).",
  }),
});

/** What the `livedebugging` block configures. */
export interface LiveDebuggingConfig {
  readonly enabled: boolean;
}

/** Without a `livedebugging` block live debugging is off, as in Alloy. */
export const DEFAULT_LIVE_DEBUGGING: LiveDebuggingConfig = Object.freeze({ enabled: false });
