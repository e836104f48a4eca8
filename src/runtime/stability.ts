/**
 * Stability gating, as Alloy's `featuregate` does it: every component (and some features) has a stability
 * level, and `--stability.level` sets the minimum a config may use.
 */
import { STABILITY_ORDER, type Stability } from "./component.ts";

/** The default minimum level of `run` and `validate`. */
export const DEFAULT_STABILITY: Stability = "generally-available";

/** Parses a `--stability.level` value; `undefined` when it is not one of the three levels. */
export function parseStability(text: string): Stability | undefined {
  return (STABILITY_ORDER as readonly string[]).includes(text) ? (text as Stability) : undefined;
}

/**
 * Alloy's `CheckAllowed`: `undefined` when `level` is at least `min`, else the error message, worded as
 * Alloy words it (`component "x" is at stability level "experimental", which is below ...`).
 */
export function checkStability(level: Stability, min: Stability, what: string): string | undefined {
  if (STABILITY_ORDER.indexOf(level) >= STABILITY_ORDER.indexOf(min)) {
    return undefined;
  }
  return (
    `${what} is at stability level "${level}", which is below the minimum allowed stability level "${min}". ` +
    `Use --stability.level command-line flag to enable "${level}" features`
  );
}
