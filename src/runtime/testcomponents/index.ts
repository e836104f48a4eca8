/**
 * Tiny components for runtime tests (Alloy's `internal/runtime/internal/testcomponents`). They are never
 * in the production list; `profile-relay run|validate` add them only when the test-only environment
 * variable `PROFILE_RELAY_TEST_COMPONENTS=1` is set (see `TEST_COMPONENTS_ENV`).
 */
import type { AnyRegistration } from "../component.ts";
import { counter } from "./counter.ts";
import { experimental } from "./experimental.ts";
import { failing } from "./failing.ts";
import { passthrough } from "./passthrough.ts";
import { receiver } from "./receiver.ts";
import { sender } from "./sender.ts";

/** Every test component. */
export const testComponents: readonly AnyRegistration[] = [
  passthrough,
  counter,
  receiver,
  sender,
  failing,
  experimental,
];

/** Test only: when this environment variable is `1`, the CLI registers `testComponents` too. */
export const TEST_COMPONENTS_ENV = "PROFILE_RELAY_TEST_COMPONENTS";
