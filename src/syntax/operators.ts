/**
 * Alloy's unary and binary operators with Go semantics: both operands are always evaluated (no
 * short-circuit), numbers keep their int64/uint64/float64 kind and wrap in 64 bits, strings compare byte-wise,
 * and secrets combine with strings the way Alloy's `tryUnwrapCapsules` does. The evaluator turns an
 * `OperatorError` into a diagnostic on the operand it names.
 */
import type { BinaryOp, UnaryOp } from "./ast.ts";
import { valuesEqual } from "./convert.ts";
import {
  AlloyNumber,
  fitNumberKinds,
  OptionalSecret,
  Secret,
  type TypeName,
  typeOf,
  type Value,
} from "./value.ts";

/**
 * An operator rejected an operand. `operand` is 0 for the left (or only) operand and 1 for the right; the
 * message is Alloy's reason without the operand's text (`should be one of [number] for binop -, got string`).
 */
export class OperatorError extends Error {
  readonly operand: 0 | 1;

  constructor(operand: 0 | 1, message: string) {
    super(message);
    this.name = "OperatorError";
    this.operand = operand;
  }
}

type ArithOp = Exclude<BinaryOp, "==" | "!=">;

/** The operand types each operator accepts, in the order Alloy lists them in messages. */
const ALLOWED: Readonly<Record<ArithOp, readonly TypeName[]>> = {
  "||": ["bool"],
  "&&": ["bool"],
  "+": ["number", "string", "capsule"],
  "-": ["number"],
  "*": ["number"],
  "/": ["number"],
  "%": ["number"],
  "^": ["number"],
  "<": ["number", "string"],
  ">": ["number", "string"],
  "<=": ["number", "string"],
  ">=": ["number", "string"],
};

/** Applies a unary operator: `!` takes a bool, `-` a number (an int or uint gives an int, as in Alloy). */
export function unaryOp(op: UnaryOp, v: Value): Value {
  if (op === "!") {
    if (typeof v !== "boolean") throw new OperatorError(0, `should be bool, got ${typeOf(v)}`);
    return !v;
  }
  if (!(v instanceof AlloyNumber)) throw new OperatorError(0, `should be number, got ${typeOf(v)}`);
  return v.kind === "float" ? AlloyNumber.float(-(v.value as number)) : AlloyNumber.int(-v.toInt64());
}

/** Applies a binary operator to two evaluated operands. Throws `OperatorError` for operands it rejects. */
export function binaryOp(left: Value, op: BinaryOp, right: Value): Value {
  let lhs = left;
  let rhs = right;
  if (typeOf(lhs) === "capsule" || typeOf(rhs) === "capsule") [lhs, rhs] = unwrapCapsules(lhs, rhs);

  if (op === "==") return valuesEqual(lhs, rhs);
  if (op === "!=") return !valuesEqual(lhs, rhs);

  const allowed = ALLOWED[op];
  const lt = typeOf(lhs);
  const rt = typeOf(rhs);
  if (!allowed.includes(lt)) throw new OperatorError(0, notAllowed(allowed, op, lt));
  if (!allowed.includes(rt)) throw new OperatorError(1, notAllowed(allowed, op, rt));
  if (lt !== rt) throw new OperatorError(1, `should be ${lt}, got ${rt}`);

  switch (op) {
    case "||":
      return (lhs as boolean) || (rhs as boolean);
    case "&&":
      return (lhs as boolean) && (rhs as boolean);
    case "+":
      if (typeof lhs === "string") return lhs + (rhs as string);
      if (lt === "capsule") return addCapsules(lhs, rhs);
      return arith(op, lhs as AlloyNumber, rhs as AlloyNumber);
    case "<":
    case ">":
    case "<=":
    case ">=":
      return compare(op, lhs, rhs);
    default:
      return arith(op, lhs as AlloyNumber, rhs as AlloyNumber);
  }
}

function notAllowed(allowed: readonly TypeName[], op: string, got: TypeName): string {
  return `should be one of [${allowed.join(" ")}] for binop ${op}, got ${got}`;
}

/**
 * Brings a secret and a string (or two kinds of secret) to a common type before the operator runs, exactly
 * as Alloy does: a string next to a secret becomes a secret, a string next to an optional secret takes its
 * secrecy, and a non-secret optional secret next to a string becomes a string.
 */
function unwrapCapsules(lhs: Value, rhs: Value): [Value, Value] {
  if (lhs instanceof OptionalSecret) {
    if (rhs instanceof Secret) return [new Secret(lhs.reveal()), rhs];
    if (typeof rhs === "string") {
      return lhs.isSecret ? [lhs, new OptionalSecret(rhs, true)] : [lhs.reveal(), rhs];
    }
    return [lhs, rhs];
  }
  if (lhs instanceof Secret) {
    if (rhs instanceof OptionalSecret) return [lhs, new Secret(rhs.reveal())];
    if (typeof rhs === "string") return [lhs, new Secret(rhs)];
    return [lhs, rhs];
  }
  if (typeof lhs === "string") {
    if (rhs instanceof OptionalSecret) {
      return rhs.isSecret ? [new OptionalSecret(lhs, true), rhs] : [lhs, rhs.reveal()];
    }
    if (rhs instanceof Secret) return [new Secret(lhs), rhs];
  }
  return [lhs, rhs];
}

/** `+` on two capsules: optional secrets stay optional (secret if either is), secrets stay secret. */
function addCapsules(lhs: Value, rhs: Value): Value {
  if (lhs instanceof OptionalSecret) {
    const other = rhs instanceof OptionalSecret ? rhs : new OptionalSecret("", false);
    return new OptionalSecret(lhs.reveal() + other.reveal(), lhs.isSecret || other.isSecret);
  }
  if (lhs instanceof Secret) {
    const other = rhs instanceof Secret ? rhs.reveal() : "";
    return new Secret(lhs.reveal() + other);
  }
  throw new OperatorError(0, "could not perform binop + for unknown types lhs capsule rhs capsule");
}

function isZero(n: AlloyNumber): boolean {
  return typeof n.value === "bigint" ? n.value === 0n : n.value === 0;
}

function arith(op: "+" | "-" | "*" | "/" | "%" | "^", a: AlloyNumber, b: AlloyNumber): AlloyNumber {
  if ((op === "/" || op === "%") && isZero(b)) throw new OperatorError(1, "divide by zero error");
  const kind = fitNumberKinds(a.kind, b.kind);
  if (kind === "float") {
    const x = a.toFloat64();
    const y = b.toFloat64();
    switch (op) {
      case "+":
        return AlloyNumber.float(x + y);
      case "-":
        return AlloyNumber.float(x - y);
      case "*":
        return AlloyNumber.float(x * y);
      case "/":
        return AlloyNumber.float(x / y);
      case "%":
        return AlloyNumber.float(x % y);
      case "^":
        return AlloyNumber.float(goPow(x, y));
    }
  }
  const make = kind === "int" ? AlloyNumber.int : AlloyNumber.uint;
  const wrap = kind === "int" ? (v: bigint) => BigInt.asIntN(64, v) : (v: bigint) => BigInt.asUintN(64, v);
  const x = kind === "int" ? a.toInt64() : a.toUint64();
  const y = kind === "int" ? b.toInt64() : b.toUint64();
  switch (op) {
    case "+":
      return make(x + y);
    case "-":
      return make(x - y);
    case "*":
      return make(x * y);
    case "/":
      return make(x / y);
    case "%":
      return make(x % y);
    case "^":
      return make(intPow(x, y, wrap));
  }
}

/**
 * Alloy's integer power. It multiplies `n` by itself `m - 1` times in 64-bit arithmetic, so a negative
 * exponent leaves the base unchanged (`2 ^ -1` is 2). Computed by squaring, which gives the same result
 * modulo 2^64 without looping `m` times.
 */
function intPow(n: bigint, m: bigint, wrap: (v: bigint) => bigint): bigint {
  if (m === 0n || n === 1n) return 1n;
  if (n === 0n && m > 0n) return 0n;
  if (m < 2n) return n;
  let result = 1n;
  let base = n;
  let e = m;
  while (e > 0n) {
    if ((e & 1n) === 1n) result = wrap(result * base);
    base = wrap(base * base);
    e >>= 1n;
  }
  return result;
}

/** Go's math.Pow, which differs from `**` for a base of 1 and for -1 to an infinite power. */
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

function compare(op: "<" | ">" | "<=" | ">=", lhs: Value, rhs: Value): boolean {
  let c: number;
  if (typeof lhs === "string") {
    c = compareStrings(lhs, rhs as string);
  } else {
    const a = lhs as AlloyNumber;
    const b = rhs as AlloyNumber;
    const kind = fitNumberKinds(a.kind, b.kind);
    if (kind === "float") {
      const x = a.toFloat64();
      const y = b.toFloat64();
      // NaN compares false every way, as in Go.
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      c = x < y ? -1 : x > y ? 1 : 0;
    } else {
      const x = kind === "int" ? a.toInt64() : a.toUint64();
      const y = kind === "int" ? b.toInt64() : b.toUint64();
      c = x < y ? -1 : x > y ? 1 : 0;
    }
  }
  switch (op) {
    case "<":
      return c < 0;
    case ">":
      return c > 0;
    case "<=":
      return c <= 0;
    case ">=":
      return c >= 0;
  }
}

/**
 * Compares strings the way Go does, byte by byte in UTF-8. UTF-8 byte order is code point order; UTF-16
 * code unit order differs only where a surrogate meets U+E000–U+FFFF, so those units are re-ranked.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

function utf8Rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
