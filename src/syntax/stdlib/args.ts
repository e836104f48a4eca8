/**
 * How stdlib functions take their arguments, the way Alloy's reflection-based calls do: the argument count
 * is checked first (`expected 1 args, got 0`, or `expected at least 1 args, got 0` for variadic functions),
 * then each argument is converted to its parameter's type in order, a failure naming the argument
 * (`ArgumentError`). Errors the Go function itself returns are `FunctionError`s.
 */
import { ConversionError, convertArrayOf, convertToString } from "../convert.ts";
import { ArgumentError, FunctionError } from "../function-errors.ts";
import { AlloyFunction, OptionalSecret, Secret, type Value } from "../value.ts";

/** Alloy's error for a secret used where a string is needed. */
export const SECRET_TO_STRING = "secrets may not be converted into strings";

/** A stdlib function with a fixed number of typed parameters. */
export function fixedFunction(
  name: string,
  arity: number,
  impl: (args: readonly Value[]) => Value,
): AlloyFunction {
  return new AlloyFunction(name, (args) => {
    if (args.length !== arity) throw new FunctionError(`expected ${arity} args, got ${args.length}`);
    return impl(args);
  });
}

/** A variadic stdlib function: at least `required` arguments. */
export function variadicFunction(
  name: string,
  required: number,
  impl: (args: readonly Value[]) => Value,
): AlloyFunction {
  return new AlloyFunction(name, (args) => {
    if (args.length < required)
      throw new FunctionError(`expected at least ${required} args, got ${args.length}`);
    return impl(args);
  });
}

/** A raw function: it checks its own arguments, as Alloy's `value.RawFunction`s do. */
export function rawFunction(name: string, impl: (args: readonly Value[]) => Value): AlloyFunction {
  return new AlloyFunction(name, impl);
}

/** Converts argument `index` with `convert`; a conversion failure becomes an `ArgumentError` for it. */
export function argument<T>(args: readonly Value[], index: number, convert: (v: Value) => T): T {
  try {
    return convert(args[index] ?? null);
  } catch (e) {
    if (e instanceof ConversionError) throw new ArgumentError(index, e.message, e.path);
    throw e;
  }
}

/** Argument `index` as a Go `string` parameter (numbers become text; bools and secrets are refused). */
export function stringArgument(args: readonly Value[], index: number): string {
  return argument(args, index, convertToString);
}

/** Argument `index` as a Go `[]string` parameter. */
export function stringListArgument(args: readonly Value[], index: number): string[] {
  return argument(args, index, (v) => convertArrayOf(v, convertToString));
}

/**
 * Refuses a value that holds a secret anywhere inside it, naming where (`[1].password`). Used where Go would
 * print or encode the secret's text (`string.format`, `encoding.to_json`): profile-relay never lets a secret
 * become plain text except through `convert.nonsensitive`.
 */
export function refuseSecrets(value: Value, index: number, path = ""): void {
  if (value instanceof Secret || (value instanceof OptionalSecret && value.isSecret)) {
    throw new ArgumentError(index, SECRET_TO_STRING, path);
  }
  if (Array.isArray(value)) {
    (value as readonly Value[]).forEach((v, i) => {
      refuseSecrets(v, index, `${path}[${i}]`);
    });
  } else if (value instanceof Map) {
    for (const [k, v] of value as ReadonlyMap<string, Value>) refuseSecrets(v, index, `${path}.${k}`);
  }
}
