/**
 * The deprecated top-level aliases Alloy still accepts (`env`, `concat`, `json_decode`, `format`, …). They
 * are the namespaced functions under their old names; each use is a deprecation warning (`alloy validate`
 * reports it as a Warning diagnostic), which the evaluator and planner emit from `DEPRECATED_FUNCTIONS`.
 */
import type { Value } from "../value.ts";
import { concat } from "./array.ts";
import { nonsensitive } from "./convert.ts";
import { fromBase64, fromJSON, fromYAML } from "./encoding.ts";
import {
  format,
  join,
  replace,
  split,
  toLower,
  toUpper,
  trim,
  trimPrefix,
  trimSpace,
  trimSuffix,
} from "./string.ts";
import { env } from "./sys.ts";

/** Alias name → the function it stands for. */
export const deprecatedAliases: ReadonlyMap<string, Value> = new Map<string, Value>([
  ["env", env],
  ["nonsensitive", nonsensitive],
  ["concat", concat],
  ["json_decode", fromJSON],
  ["yaml_decode", fromYAML],
  ["base64_decode", fromBase64],
  ["format", format],
  ["join", join],
  ["replace", replace],
  ["split", split],
  ["to_lower", toLower],
  ["to_upper", toUpper],
  ["trim", trim],
  ["trim_prefix", trimPrefix],
  ["trim_suffix", trimSuffix],
  ["trim_space", trimSpace],
]);

/** Alias name → the function to write instead, for the hint `validate` prints after a deprecation warning. */
export const deprecatedReplacements: ReadonlyMap<string, string> = new Map([
  ["env", "sys.env"],
  ["nonsensitive", "convert.nonsensitive"],
  ["concat", "array.concat"],
  ["json_decode", "encoding.from_json"],
  ["yaml_decode", "encoding.from_yaml"],
  ["base64_decode", "encoding.from_base64"],
  ["format", "string.format"],
  ["join", "string.join"],
  ["replace", "string.replace"],
  ["split", "string.split"],
  ["to_lower", "string.to_lower"],
  ["to_upper", "string.to_upper"],
  ["trim", "string.trim"],
  ["trim_prefix", "string.trim_prefix"],
  ["trim_suffix", "string.trim_suffix"],
  ["trim_space", "string.trim_space"],
]);
