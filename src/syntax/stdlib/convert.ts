/**
 * The `convert` namespace: `convert.nonsensitive(secret)` turns a secret (or an optional secret, or a plain
 * string) back into a string; the one way a secret's text becomes visible.
 */
import { ConversionError, convertToSecret, describeCapsule } from "../convert.ts";
import { Capsule, type Value } from "../value.ts";
import { argument, fixedFunction } from "./args.ts";

/** `convert.nonsensitive(secret)`. */
export const nonsensitive = fixedFunction("convert.nonsensitive", 1, (args) =>
  argument(args, 0, (v) => {
    if (v instanceof Capsule) {
      throw new ConversionError(`expected capsule("alloytypes.Secret"), got ${describeCapsule(v)}`);
    }
    return convertToSecret(v).reveal();
  }),
);

/** The namespace object. */
export const convertNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([
  ["nonsensitive", nonsensitive],
]);
