/**
 * The one explicit list of components profile-relay ships (Alloy's `internal/component/all`). The registry
 * is built from this list at start-up; add one import and one entry per component.
 */
import type { AnyRegistration } from "../runtime/component.ts";
import { captureRegistration } from "./pyroscope/capture/index.ts";
import { receiveHttpRegistration } from "./pyroscope/receive_http/index.ts";
import { relabelRegistration } from "./pyroscope/relabel/index.ts";
import { writeRegistration } from "./pyroscope/write/index.ts";

/** Every production component registration. */
export const allComponents: readonly AnyRegistration[] = [
  receiveHttpRegistration,
  writeRegistration,
  captureRegistration,
  relabelRegistration,
];
