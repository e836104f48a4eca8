/**
 * `--stability.level`, shared by `run` and `validate`: the flag as Alloy declares it, and reading it with
 * Alloy's error text for a bad value.
 */
import type { Stability } from "../runtime/component.ts";
import { parseStability } from "../runtime/stability.ts";
import { type FlagSpec, type ParsedFlags, stringFlag } from "./flags.ts";

export const STABILITY_FLAG: FlagSpec = {
  name: "stability.level",
  kind: "string",
  default: "generally-available",
  help: "Minimum stability level of features to enable. Supported values: generally-available, public-preview, experimental",
};

/** The minimum stability level given, or `undefined` after writing Alloy's error for a bad value. */
export function readStabilityFlag(flags: ParsedFlags, stderr: (text: string) => void): Stability | undefined {
  const level = stringFlag(flags, STABILITY_FLAG.name);
  const min = parseStability(level);
  if (min === undefined) {
    stderr(
      `Error: invalid argument "${level}" for "--stability.level" flag: invalid stability level "${level}"\n`,
    );
  }
  return min;
}
