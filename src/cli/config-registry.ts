/**
 * What `run` and `validate` both check after their own flags and before reading a config: `--config.format`
 * is `alloy` (the only format profile-relay reads), and the component registry builds.
 */
import { cliRegistry } from "../runtime/cli-registry.ts";
import { type ComponentRegistry, RegistryError } from "../runtime/registry.ts";
import { type ParsedFlags, stringFlag } from "./flags.ts";

/** The registry to load configs with, or `undefined` after writing the error of a bad format or registry. */
export function readConfigRegistry(
  flags: ParsedFlags,
  stderr: (text: string) => void,
): ComponentRegistry | undefined {
  const format = stringFlag(flags, "config.format");
  if (format !== "alloy") {
    stderr(`Error: --config.format=${format} is not supported by profile-relay (only "alloy" is)\n`);
    return undefined;
  }
  try {
    return cliRegistry();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    stderr(`Error: ${err.message}\n`);
    return undefined;
  }
}
