/**
 * Conversions between Alloy values: equality (`==`), the assignment conversions Alloy applies when a value
 * goes into a typed attribute or function parameter (§3.8 of the syntax notes), and the bridge to plain JS
 * data used by the library API (`toPlain` / `fromPlain`).
 *
 * Conversion failures throw `ConversionError`, whose message is Alloy's reason (`should be number, got
 * string`) and whose `path` locates the bad element (`[2].name`); callers prefix the expression's text.
 */
import { isDeepStrictEqual } from "node:util";
import { ArgumentError, FunctionError } from "./function-errors.ts";
import { numberToString } from "./go-format.ts";
import {
  AlloyFunction,
  AlloyNumber,
  Capsule,
  fitNumberKinds,
  type ObjectValue,
  OptionalSecret,
  Secret,
  typeOf,
  type Value,
} from "./value.ts";

/** One step into a value: an array element or an object field. */
export type PathStep = { readonly index: number } | { readonly field: string };

/** Renders path steps the way Alloy prints them after an expression: `[2].field1`. */
export function formatPath(steps: readonly PathStep[]): string {
  return steps.map((s) => ("index" in s ? `[${s.index}]` : `.${s.field}`)).join("");
}

/** A value that cannot be converted to the type it is assigned to. */
export class ConversionError extends Error {
  /** Where in the value the problem is; empty when it is the value itself. */
  readonly steps: readonly PathStep[];

  constructor(reason: string, steps: readonly PathStep[] = []) {
    super(reason);
    this.name = "ConversionError";
    this.steps = steps;
  }

  /** The path as Alloy prints it (`[2].name`), for `ArgumentError`'s `path`. */
  get path(): string {
    return formatPath(this.steps);
  }

  /** The same error seen from one level further out. */
  within(step: PathStep): ConversionError {
    return new ConversionError(this.message, [step, ...this.steps]);
  }
}

/** `should be <type>, got <type>`: Alloy's TypeError. */
export function typeError(expected: string, got: Value): ConversionError {
  return new ConversionError(`should be ${expected}, got ${typeOf(got)}`);
}

const SECRET_TO_STRING = "secrets may not be converted into strings";

// ---------------------------------------------------------------------------------------------------------
// Equality

/**
 * Alloy's `==`: values of different types are never equal; numbers compare by value across kinds; arrays
 * element-wise; objects by key set and values; functions never; capsules by deep equality of the host value.
 */
export function valuesEqual(a: Value, b: Value): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case "null":
      return true;
    case "bool":
    case "string":
      return a === b;
    case "number":
      return numbersEqual(a as AlloyNumber, b as AlloyNumber);
    case "array": {
      const x = a as readonly Value[];
      const y = b as readonly Value[];
      return x.length === y.length && x.every((v, i) => valuesEqual(v, y[i] as Value));
    }
    case "object": {
      const x = a as ObjectValue;
      const y = b as ObjectValue;
      if (x.size !== y.size) return false;
      for (const [k, v] of x) {
        if (!y.has(k) || !valuesEqual(v, y.get(k) as Value)) return false;
      }
      return true;
    }
    case "function":
      return false;
    case "capsule":
      return capsulesEqual(a, b);
  }
}

function numbersEqual(a: AlloyNumber, b: AlloyNumber): boolean {
  switch (fitNumberKinds(a.kind, b.kind)) {
    case "float":
      return a.toFloat64() === b.toFloat64();
    case "int":
      return a.toInt64() === b.toInt64();
    case "uint":
      return a.toUint64() === b.toUint64();
  }
}

function capsulesEqual(a: Value, b: Value): boolean {
  if (a instanceof Secret && b instanceof Secret) return a.equals(b);
  if (a instanceof OptionalSecret && b instanceof OptionalSecret) {
    return a.isSecret === b.isSecret && a.reveal() === b.reveal();
  }
  if (a instanceof Capsule && b instanceof Capsule) {
    return a.hostType === b.hostType && (a.value === b.value || isDeepStrictEqual(a.value, b.value));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Assignment conversions. `null` converts to the target's zero value, as Alloy's decoder does.

/** Converts to a string: numbers become decimal text (never an exponent); secrets are refused. */
export function convertToString(v: Value): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (v instanceof AlloyNumber) return numberToString(v);
  if (v instanceof Secret) throw new ConversionError(SECRET_TO_STRING);
  if (v instanceof OptionalSecret) {
    if (v.isSecret) throw new ConversionError(SECRET_TO_STRING);
    return v.reveal();
  }
  throw typeError("string", v);
}

/**
 * Converts to a number. Strings are parsed as Alloy does: a leading `-` means int64, a `.`, `e` or `E`
 * means float64, anything else uint64; `"-1.5"` is therefore not a number, as in Alloy.
 */
export function convertToNumber(v: Value): AlloyNumber {
  if (v === null) return AlloyNumber.int(0n);
  if (v instanceof AlloyNumber) return v;
  if (typeof v === "string") {
    const n = parseNumberText(v);
    if (n === undefined) throw typeError("number", v);
    return n;
  }
  if (v instanceof OptionalSecret && !v.isSecret) {
    const n = parseNumberText(v.reveal());
    if (n !== undefined) return n;
  }
  throw typeError("number", v);
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const GO_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumberText(s: string): AlloyNumber | undefined {
  if (s === "") return undefined;
  if (s[0] === "-") {
    if (!/^-\d+$/.test(s)) return undefined;
    const n = BigInt(s);
    return n < INT64_MIN ? undefined : AlloyNumber.int(n);
  }
  if (/[.eE]/.test(s)) {
    if (!GO_FLOAT.test(s)) return undefined;
    const f = Number(s);
    return Number.isFinite(f) ? AlloyNumber.float(f) : undefined;
  }
  if (!/^\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n > UINT64_MAX ? undefined : AlloyNumber.uint(n);
}

/** Converts to a bool; nothing else converts to one. */
export function convertToBool(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  throw typeError("bool", v);
}

/** Converts to an array (no element conversion). */
export function convertToArray(v: Value): readonly Value[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v as readonly Value[];
  throw typeError("array", v);
}

/** Converts to an object (no field conversion). */
export function convertToObject(v: Value): ObjectValue {
  if (v === null) return new Map();
  if (v instanceof Map) return v;
  throw typeError("object", v);
}

/** Converts every element of an array; errors name the element (`[2]`). */
export function convertArrayOf<T>(v: Value, each: (element: Value) => T): T[] {
  return convertToArray(v).map((element, index) => {
    try {
      return each(element);
    } catch (e) {
      throw e instanceof ConversionError ? e.within({ index }) : e;
    }
  });
}

/** Converts every field of an object into a null-prototype record; errors name the field (`.key`). */
export function convertObjectOf<T>(v: Value, each: (field: Value) => T): Record<string, T> {
  const out: Record<string, T> = Object.create(null);
  for (const [field, value] of convertToObject(v)) {
    try {
      out[field] = each(value);
    } catch (e) {
      throw e instanceof ConversionError ? e.within({ field }) : e;
    }
  }
  return out;
}

/** Converts to a secret: strings and optional secrets become secrets. */
export function convertToSecret(v: Value): Secret {
  if (v === null) return new Secret("");
  if (v instanceof Secret) return v;
  if (typeof v === "string") return new Secret(v);
  if (v instanceof OptionalSecret) return new Secret(v.reveal());
  throw typeError("capsule", v);
}

/** Converts to an optional secret: a string is not secret, a secret is. */
export function convertToOptionalSecret(v: Value): OptionalSecret {
  if (v === null) return new OptionalSecret("", false);
  if (v instanceof OptionalSecret) return v;
  if (typeof v === "string") return new OptionalSecret(v, false);
  if (v instanceof Secret) return new OptionalSecret(v.reveal(), true);
  throw typeError("capsule", v);
}

/** How Alloy describes a capsule's host type in messages: `capsule("pyroscope.Appendable")`. */
export function describeCapsule(v: Value): string {
  if (v instanceof Secret) return `capsule("alloytypes.Secret")`;
  if (v instanceof OptionalSecret) return `capsule("alloytypes.OptionalSecret")`;
  if (v instanceof Capsule) return `capsule("${v.hostType}")`;
  return typeOf(v);
}

/** Converts to a capsule of the given host type; `null` stays `null`. */
export function convertToCapsule(v: Value, hostType: string): Capsule | null {
  if (v === null) return null;
  if (v instanceof Capsule && v.hostType === hostType) return v;
  if (typeOf(v) === "capsule") {
    throw new ConversionError(`expected capsule("${hostType}"), got ${describeCapsule(v)}`);
  }
  throw typeError("capsule", v);
}

// ---------------------------------------------------------------------------------------------------------
// Plain JS data

/** Plain JS data: what `evaluateExpression` returns and what a scope may be given as. */
export type Plain =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly Plain[]
  | { readonly [key: string]: Plain }
  | Secret
  | Capsule
  | AlloyFunction;

/**
 * An Alloy value as plain data. Numbers become JS numbers, or bigints when an int or uint is outside the
 * safe integer range; objects become ordinary objects; a secret stays a `Secret` (an optional secret becomes
 * a string, or a `Secret` when it is secret); capsules and functions are returned as they are.
 */
export function toPlain(v: Value): Plain {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (v instanceof AlloyNumber) {
    if (typeof v.value === "number") return v.value;
    const n = Number(v.value);
    return Number.isSafeInteger(n) ? n : v.value;
  }
  if (Array.isArray(v)) return (v as readonly Value[]).map(toPlain);
  if (v instanceof Map) {
    const out: { [key: string]: Plain } = {};
    for (const [k, x] of v as ObjectValue) {
      Object.defineProperty(out, k, {
        value: toPlain(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (v instanceof OptionalSecret) return v.isSecret ? new Secret(v.reveal()) : v.reveal();
  return v as Secret | Capsule | AlloyFunction;
}

/**
 * Plain JS data as an Alloy value. Integral numbers become ints (other numbers floats), bigints ints or
 * uints by range; plain objects and Maps become objects; Alloy values (numbers, secrets, capsules, functions)
 * pass through; a JS function becomes an Alloy function over plain data. Anything else is a TypeError.
 */
export function fromPlain(x: unknown): Value {
  return fromUnknown(x, "value");
}

function fromUnknown(x: unknown, where: string): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case "boolean":
    case "string":
      return x;
    case "number":
      return AlloyNumber.from(x);
    case "bigint":
      if (x >= INT64_MIN && x <= INT64_MAX) return AlloyNumber.int(x);
      if (x > INT64_MAX && x <= UINT64_MAX) return AlloyNumber.uint(x);
      throw new RangeError(`${where}: ${x} does not fit in 64 bits`);
    case "function":
      return plainFunction(x as (...args: Plain[]) => unknown);
    case "object":
      break;
    default:
      throw new TypeError(`${where}: cannot convert a ${typeof x} to an Alloy value`);
  }
  if (
    x instanceof AlloyNumber ||
    x instanceof Secret ||
    x instanceof OptionalSecret ||
    x instanceof Capsule ||
    x instanceof AlloyFunction
  ) {
    return x;
  }
  if (Array.isArray(x)) return x.map((e, i) => fromUnknown(e, `${where}[${i}]`));
  const out = new Map<string, Value>();
  if (x instanceof Map) {
    for (const [k, v] of x) {
      if (typeof k !== "string") throw new TypeError(`${where}: object keys must be strings`);
      out.set(k, fromUnknown(v, `${where}.${k}`));
    }
    return out;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(
      `${where}: cannot convert a ${proto?.constructor?.name ?? "object"} to an Alloy value`,
    );
  }
  for (const [k, v] of Object.entries(x)) out.set(k, fromUnknown(v, `${where}.${k}`));
  return out;
}

function plainFunction(fn: (...args: Plain[]) => unknown): AlloyFunction {
  return new AlloyFunction(fn.name || "function", (args) => {
    let result: unknown;
    try {
      result = fn(...args.map(toPlain));
    } catch (e) {
      if (e instanceof FunctionError || e instanceof ArgumentError) throw e;
      throw new FunctionError(e instanceof Error ? e.message : String(e));
    }
    return fromUnknown(result, "result");
  });
}
