/**
 * Runtime values of the Alloy language. Numbers keep Go's three kinds (int64, uint64, float64) because
 * arithmetic depends on them; objects are Maps (no prototype, keys in insertion order); host values such as
 * receivers and secrets are capsules.
 */

export type NumberKind = "int" | "uint" | "float";

/** A number with Go's kind: `int`/`uint` hold a bigint in 64-bit range, `float` a JS number. */
export class AlloyNumber {
  readonly kind: NumberKind;
  readonly value: bigint | number;

  private constructor(kind: NumberKind, value: bigint | number) {
    this.kind = kind;
    this.value = value;
  }

  static int(v: bigint): AlloyNumber {
    return new AlloyNumber("int", BigInt.asIntN(64, v));
  }

  static uint(v: bigint): AlloyNumber {
    return new AlloyNumber("uint", BigInt.asUintN(64, v));
  }

  static float(v: number): AlloyNumber {
    return new AlloyNumber("float", v);
  }

  /** A JS number as an Alloy number: an int when it is a safe integer, a float otherwise. */
  static from(v: number): AlloyNumber {
    return Number.isSafeInteger(v) ? AlloyNumber.int(BigInt(v)) : AlloyNumber.float(v);
  }

  toNumber(): number {
    return typeof this.value === "number" ? this.value : Number(this.value);
  }

  /** Go's `int64(x)`: a uint is reinterpreted, a float truncated (out of range gives math.MinInt64, as on amd64). */
  toInt64(): bigint {
    if (typeof this.value === "bigint") return BigInt.asIntN(64, this.value);
    return floatToInt64(this.value);
  }

  /** Go's `uint64(x)`: an int is reinterpreted, a float converted the way amd64 does it. */
  toUint64(): bigint {
    if (typeof this.value === "bigint") return BigInt.asUintN(64, this.value);
    const f = this.value;
    if (f < TWO_63) return BigInt.asUintN(64, floatToInt64(f));
    return BigInt.asUintN(64, floatToInt64(f - TWO_63)) | (1n << 63n);
  }

  /** Go's `float64(x)`. */
  toFloat64(): number {
    return this.toNumber();
  }
}

const TWO_63 = 2 ** 63;

const KIND_RANK: Readonly<Record<NumberKind, number>> = { uint: 0, int: 1, float: 2 };

/** The kind two numbers are converted to before an operation: the wider of uint < int < float. */
export function fitNumberKinds(a: NumberKind, b: NumberKind): NumberKind {
  return KIND_RANK[a] > KIND_RANK[b] ? a : b;
}

/** Go's float64 → int64 conversion on amd64: truncation, and math.MinInt64 for NaN or out-of-range values. */
function floatToInt64(f: number): bigint {
  if (Number.isNaN(f) || f >= TWO_63 || f < -TWO_63) return -(1n << 63n);
  return BigInt(Math.trunc(f));
}

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

/**
 * A sensitive string. It never turns into a plain string by accident: `String(secret)`, template literals,
 * `JSON.stringify` and `util.inspect` all give `(secret)`. Only `reveal()` gives the text.
 */
export class Secret {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  /** The secret's text, for the one place that must send it (an Authorization header, a TLS key). */
  reveal(): string {
    return this.#text;
  }

  equals(other: Secret): boolean {
    return this.#text === other.#text;
  }

  toString(): string {
    return "(secret)";
  }

  toJSON(): string {
    return "(secret)";
  }

  [inspectSymbol](): string {
    return "(secret)";
  }
}

/**
 * A string that may be secret (Alloy's "optional secret", e.g. the contents of `local.file`): usable as a
 * string only when `isSecret` is false.
 */
export class OptionalSecret {
  readonly #text: string;
  readonly isSecret: boolean;

  constructor(text: string, isSecret: boolean) {
    this.#text = text;
    this.isSecret = isSecret;
  }

  reveal(): string {
    return this.#text;
  }

  toString(): string {
    return this.isSecret ? "(secret)" : this.#text;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/** An opaque host value, such as a receiver, identified by its host type (`pyroscope.Appendable`). */
export class Capsule<T = unknown> {
  readonly hostType: string;
  readonly value: T;

  constructor(hostType: string, value: T) {
    this.hostType = hostType;
    this.value = value;
  }

  toString(): string {
    return `capsule("${this.hostType}")`;
  }
}

/** A function value: stdlib functions, or functions a component exports. */
export class AlloyFunction {
  readonly name: string;
  readonly call: (args: readonly Value[]) => Value;

  constructor(name: string, call: (args: readonly Value[]) => Value) {
    this.name = name;
    this.call = call;
  }
}

export type ObjectValue = ReadonlyMap<string, Value>;

export type Value =
  | null
  | boolean
  | string
  | AlloyNumber
  | readonly Value[]
  | ObjectValue
  | AlloyFunction
  | Secret
  | OptionalSecret
  | Capsule;

/** Alloy's type names, as they appear in error messages. Secrets are capsules. */
export type TypeName = "null" | "number" | "string" | "bool" | "array" | "object" | "function" | "capsule";

export function typeOf(v: Value): TypeName {
  if (v === null) return "null";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "string";
  if (v instanceof AlloyNumber) return "number";
  if (Array.isArray(v)) return "array";
  if (v instanceof Map) return "object";
  if (v instanceof AlloyFunction) return "function";
  return "capsule";
}
