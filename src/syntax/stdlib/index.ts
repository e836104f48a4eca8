/**
 * Alloy's standard library as one root object. The evaluator looks a top-level identifier up in the scope
 * first and then here; `sys.env` is then an ordinary field access on the `sys` object.
 *
 * Not provided: `json_path` (JSONPath through the ojg library); using it is an unknown identifier.
 */
import type { ObjectValue, Value } from "../value.ts";
import { arrayNamespace } from "./array.ts";
import { coalesce } from "./coalesce.ts";
import { constantsNamespace } from "./constants.ts";
import { convertNamespace } from "./convert.ts";
import { deprecatedAliases } from "./deprecated.ts";
import { encodingNamespace } from "./encoding.ts";
import { fileNamespace } from "./file.ts";
import { stringNamespace } from "./string.ts";
import { sysNamespace } from "./sys.ts";

/** The root namespace: `sys`, `constants`, `coalesce`, `array`, `string`, `encoding`, `convert`, `file` and the deprecated aliases. */
export const stdlib: ObjectValue = new Map<string, Value>([
  ["constants", constantsNamespace],
  ["coalesce", coalesce],
  ["sys", sysNamespace],
  ["convert", convertNamespace],
  ["array", arrayNamespace],
  ["encoding", encodingNamespace],
  ["string", stringNamespace],
  ["file", fileNamespace],
  ...deprecatedAliases,
]);

/** Top-level names that are deprecated aliases; using one is a deprecation warning. */
export const DEPRECATED_FUNCTIONS: ReadonlySet<string> = new Set(deprecatedAliases.keys());

/** Dotted names of experimental functions (need `--stability.level=experimental`). */
export const EXPERIMENTAL_FUNCTIONS: ReadonlySet<string> = new Set(["array.combine_maps", "array.group_by"]);

/** The stdlib as the graph planner needs it (`has`, `isDeprecated`, `isExperimental`). */
export const stdlibNames = {
  has: (name: string): boolean => stdlib.has(name),
  isDeprecated: (name: string): boolean => DEPRECATED_FUNCTIONS.has(name),
  isExperimental: (dotted: string): boolean => EXPERIMENTAL_FUNCTIONS.has(dotted),
} as const;
