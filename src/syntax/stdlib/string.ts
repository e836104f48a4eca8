/**
 * The `string` namespace: Go's `fmt.Sprintf` and `strings` functions, rune by rune as Go does them (not
 * UTF-16 unit by unit as JS does), with Go's simple case mapping (`to_upper("ß")` stays `ß`).
 *
 * Decision: `string.format` refuses secret arguments with `secrets may not be converted into strings`
 * instead of printing their text as Alloy does; a secret is only ever revealed by `convert.nonsensitive`.
 */
import { sprintf } from "../go-format.ts";
import type { AlloyFunction, Value } from "../value.ts";
import {
  fixedFunction,
  refuseSecrets,
  stringArgument,
  stringListArgument,
  variadicFunction,
} from "./args.ts";

/** `string.format(format, args...)`: Go `fmt.Sprintf`. */
export const format: AlloyFunction = variadicFunction("string.format", 1, (args) => {
  const fmt = stringArgument(args, 0);
  args.forEach((a, i) => {
    if (i > 0) refuseSecrets(a, i);
  });
  return sprintf(fmt, args.slice(1));
});

/** `string.join(list, sep)`: elements are converted to strings (numbers become text). */
export const join: AlloyFunction = fixedFunction("string.join", 2, (args) => {
  const elems = stringListArgument(args, 0);
  return elems.join(stringArgument(args, 1));
});

/** `string.replace(s, old, new)`: Go `strings.ReplaceAll`; an empty `old` inserts `new` around every rune. */
export const replace: AlloyFunction = fixedFunction("string.replace", 3, (args) => {
  const s = stringArgument(args, 0);
  const old = stringArgument(args, 1);
  const neu = stringArgument(args, 2);
  if (old === "") return neu + Array.from(s).join(neu) + (s === "" ? "" : neu);
  return s.split(old).join(neu);
});

/** `string.split(s, sep)`: Go `strings.Split`; an empty `sep` splits into runes. */
export const split: AlloyFunction = fixedFunction("string.split", 2, (args) => {
  const s = stringArgument(args, 0);
  const sep = stringArgument(args, 1);
  return sep === "" ? Array.from(s) : s.split(sep);
});

/** `string.to_lower(s)`: Go `strings.ToLower`. */
export const toLower: AlloyFunction = fixedFunction("string.to_lower", 1, (args) =>
  goToLower(stringArgument(args, 0)),
);

/** `string.to_upper(s)`: Go `strings.ToUpper`. */
export const toUpper: AlloyFunction = fixedFunction("string.to_upper", 1, (args) =>
  goToUpper(stringArgument(args, 0)),
);

/** `string.trim(s, cutset)`: Go `strings.Trim`, removing any rune of `cutset` from both ends. */
export const trim: AlloyFunction = fixedFunction("string.trim", 2, (args) => {
  const s = stringArgument(args, 0);
  const cutset = new Set(Array.from(stringArgument(args, 1)));
  const runes = Array.from(s);
  let start = 0;
  let end = runes.length;
  while (start < end && cutset.has(runes[start] as string)) start++;
  while (end > start && cutset.has(runes[end - 1] as string)) end--;
  return runes.slice(start, end).join("");
});

/** `string.trim_prefix(s, prefix)`: removes `prefix` once if present. */
export const trimPrefix: AlloyFunction = fixedFunction("string.trim_prefix", 2, (args) => {
  const s = stringArgument(args, 0);
  const prefix = stringArgument(args, 1);
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
});

/** `string.trim_suffix(s, suffix)`: removes `suffix` once if present. */
export const trimSuffix: AlloyFunction = fixedFunction("string.trim_suffix", 2, (args) => {
  const s = stringArgument(args, 0);
  const suffix = stringArgument(args, 1);
  return suffix !== "" && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
});

/** `string.trim_space(s)`: Go `strings.TrimSpace` (Unicode White_Space: NEL and NBSP yes, U+FEFF no). */
export const trimSpace: AlloyFunction = fixedFunction("string.trim_space", 1, (args) =>
  goTrimSpace(stringArgument(args, 0)),
);

/** The namespace object. */
export const stringNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([
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

// ---------------------------------------------------------------------------------------------------------

/** Printable ASCII only: JS and Go case mappings agree on it. */
const PLAIN_ASCII = /^[ -~]*$/;

/** Go `strings.ToUpper`: `unicode.ToUpper` per rune, so nothing expands (`ß` stays, `ﬁ` stays). */
export function goToUpper(s: string): string {
  if (PLAIN_ASCII.test(s)) return s.toUpperCase();
  let out = "";
  for (const ch of s) out += String.fromCodePoint(upperRune(ch));
  return out;
}

/** Go `strings.ToLower`: `unicode.ToLower` per rune (`İ` → `i`, `Σ` → `σ` wherever it is). */
export function goToLower(s: string): string {
  if (PLAIN_ASCII.test(s)) return s.toLowerCase();
  let out = "";
  for (const ch of s) out += String.fromCodePoint(lowerRune(ch));
  return out;
}

function upperRune(ch: string): number {
  const r = ch.codePointAt(0) as number;
  const up = ch.toUpperCase();
  const first = up.codePointAt(0) as number;
  if (up.length === (first > 0xffff ? 2 : 1)) return first;
  // JS applied a full (multi-rune) mapping; Go uses the simple one, which only these have.
  if ((r >= 0x1f80 && r <= 0x1f87) || (r >= 0x1f90 && r <= 0x1f97) || (r >= 0x1fa0 && r <= 0x1fa7))
    return r + 8;
  if (r === 0x1fb3 || r === 0x1fc3 || r === 0x1ff3) return r + 9;
  return r;
}

function lowerRune(ch: string): number {
  const r = ch.codePointAt(0) as number;
  const low = ch.toLowerCase();
  const first = low.codePointAt(0) as number;
  if (low.length === (first > 0xffff ? 2 : 1)) return first;
  return r === 0x130 ? 0x69 : r;
}

/** Go `unicode.IsSpace`. */
function isGoSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Go `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}
