/**
 * `coalesce(args...)`: the first argument that is not null and not "empty", or the last argument when all
 * are (null with none). Empty is Go's zero value (`""`, `0`, `false`, an empty secret) plus empty arrays and
 * objects. As in Go, a float `-0.0` is not zero (its bits are not all zero), so it is returned.
 */
import { AlloyNumber, Capsule, OptionalSecret, Secret, type Value } from "../value.ts";
import { rawFunction } from "./args.ts";

/** `coalesce(args...)`. */
export const coalesce = rawFunction("coalesce", (args) => {
  if (args.length === 0) return null;
  for (const arg of args) {
    if (!isEmpty(arg)) return arg;
  }
  return args[args.length - 1] as Value;
});

function isEmpty(v: Value): boolean {
  if (v === null || v === false || v === "") return true;
  if (v instanceof AlloyNumber) return typeof v.value === "bigint" ? v.value === 0n : Object.is(v.value, 0);
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  if (v instanceof Secret) return v.reveal() === "";
  if (v instanceof OptionalSecret) return !v.isSecret && v.reveal() === "";
  // A capsule that converts to an object (discovery targets) counts as empty when that object is.
  if (v instanceof Capsule && v.value instanceof Map) return v.value.size === 0;
  return false;
}
