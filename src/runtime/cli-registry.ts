/**
 * The registrations `run` and `validate` use: the production list, plus the test components when the
 * test-only environment variable `PROFILE_RELAY_TEST_COMPONENTS=1` is set (end-to-end tests start the CLI
 * as a child process before production components exist). Building it checks Alloy's name rules.
 */
import { allComponents } from "../components/all.ts";
import type { ComponentRegistry } from "./registry.ts";
import { createRegistry } from "./registry.ts";
import { TEST_COMPONENTS_ENV, testComponents } from "./testcomponents/index.ts";

/** Builds the registry for a CLI command; throws `RegistryError` on a bad registration list. */
export function cliRegistry(env: NodeJS.ProcessEnv = process.env): ComponentRegistry {
  const withTests = env[TEST_COMPONENTS_ENV] === "1";
  return createRegistry(withTests ? [...allComponents, ...testComponents] : allComponents);
}
