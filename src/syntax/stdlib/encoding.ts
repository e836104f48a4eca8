/**
 * The `encoding` namespace: JSON and YAML decoding, JSON encoding, base64 and URL query escaping.
 *
 * Decisions (compatibility table): `from_base64` / `from_URLbase64` return a string (the decoded bytes read
 * as UTF-8) where Alloy returns a byte array; `to_json` refuses secrets anywhere in its argument instead of
 * writing their text.
 */
import { ArgumentError, FunctionError } from "../function-errors.ts";
import type { AlloyFunction, ObjectValue, Value } from "../value.ts";
import { fixedFunction, stringArgument } from "./args.ts";
import {
  base64Decode,
  base64Encode,
  bytesToString,
  GoCodecError,
  queryEscape,
  queryUnescape,
} from "./codecs.ts";
import { decodeJSON, encodeJSON, GoJSONError, JSONEncodeError } from "./json.ts";
import { decodeYAML, GoYAMLError } from "./yaml.ts";

/** Runs `f`, turning the Go-worded failures of the codecs into errors of the function. */
function goErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GoJSONError || e instanceof GoYAMLError || e instanceof GoCodecError) {
      throw new FunctionError(e.message);
    }
    throw e;
  }
}

/** `encoding.from_json(s)`: every number becomes a float. */
export const fromJSON: AlloyFunction = fixedFunction("encoding.from_json", 1, (args) => {
  const text = stringArgument(args, 0);
  return goErrors(() => decodeJSON(text));
});

/** `encoding.from_yaml(s)`. */
export const fromYAML: AlloyFunction = fixedFunction("encoding.from_yaml", 1, (args) => {
  const text = stringArgument(args, 0);
  return goErrors(() => decodeYAML(text));
});

/** `encoding.to_json(object)`: only objects; keys sorted; `<`, `>`, `&` escaped. */
export const toJSON: AlloyFunction = fixedFunction("encoding.to_json", 1, (args) => {
  const v = args[0] as Value;
  if (!(v instanceof Map)) throw new FunctionError("jsonEncode only supports map");
  try {
    return encodeJSON(v as ObjectValue);
  } catch (e) {
    if (e instanceof JSONEncodeError) {
      throw e.secret ? new ArgumentError(0, e.message, e.path) : new FunctionError(e.message);
    }
    throw e;
  }
});

/** `encoding.from_base64(s)`: standard alphabet, padded. Returns a string (Alloy: bytes). */
export const fromBase64: AlloyFunction = fixedFunction("encoding.from_base64", 1, (args) => {
  const text = stringArgument(args, 0);
  return goErrors(() => bytesToString(base64Decode(text, false)));
});

/** `encoding.from_URLbase64(s)`: URL-safe alphabet, padded. Returns a string (Alloy: bytes). */
export const fromURLBase64: AlloyFunction = fixedFunction("encoding.from_URLbase64", 1, (args) => {
  const text = stringArgument(args, 0);
  return goErrors(() => bytesToString(base64Decode(text, true)));
});

/** `encoding.to_base64(s)`. */
export const toBase64: AlloyFunction = fixedFunction("encoding.to_base64", 1, (args) =>
  base64Encode(stringArgument(args, 0), false),
);

/** `encoding.to_URLbase64(s)`. */
export const toURLBase64: AlloyFunction = fixedFunction("encoding.to_URLbase64", 1, (args) =>
  base64Encode(stringArgument(args, 0), true),
);

/** `encoding.url_encode(s)`: Go `url.QueryEscape`. */
export const urlEncode: AlloyFunction = fixedFunction("encoding.url_encode", 1, (args) =>
  queryEscape(stringArgument(args, 0)),
);

/** `encoding.url_decode(s)`: Go `url.QueryUnescape`. */
export const urlDecode: AlloyFunction = fixedFunction("encoding.url_decode", 1, (args) => {
  const text = stringArgument(args, 0);
  return goErrors(() => bytesToString(queryUnescape(text)));
});

/** The namespace object. */
export const encodingNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([
  ["from_json", fromJSON],
  ["from_yaml", fromYAML],
  ["from_base64", fromBase64],
  ["from_URLbase64", fromURLBase64],
  ["to_json", toJSON],
  ["to_base64", toBase64],
  ["to_URLbase64", toURLBase64],
  ["url_encode", urlEncode],
  ["url_decode", urlDecode],
]);
