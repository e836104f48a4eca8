/**
 * The third-party reference data beside the repository (`../shared` from the project root: Alloy's parser and
 * printer test files, documentation configs, Pyroscope's test profiles). It is not the project's to ship, so a
 * clone alone does not have it; CI always does (`.ci/run` checks). Tests that check the project against it
 * skip, with one line saying why, when it is absent:
 *
 *   describe("conformance: ...", { skip: sharedMissing("conformance/alloy-syntax/parser") }, () => { ... });
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `../shared/` from the project root. */
export const SHARED_DIR: URL = new URL("../../../shared/", import.meta.url);

/** The URL of a file or folder under `../shared`, e.g. `sharedUrl("conformance/alloy-syntax/printer/")`. */
export function sharedUrl(relativePath: string): URL {
  return new URL(relativePath, SHARED_DIR);
}

/**
 * Undefined when `../shared/<relativePath>` exists, else the one-line skip reason naming what is missing (a
 * suite given it as `skip` is reported once, with this reason, and its body does not run).
 */
export function sharedMissing(relativePath: string): string | undefined {
  if (existsSync(sharedUrl(relativePath))) return undefined;
  return `third-party reference data not found: ${fileURLToPath(sharedUrl(relativePath))} (a clone alone has no ../shared; CI does)`;
}
