/**
 * Go's `fmt.Sprintf`, which Alloy's `string.format` is, ported from Go's `fmt/print.go` and `fmt/format.go`:
 * every verb and flag, width and precision (also `*` and `%[n]` indexes), and the error markers Go writes
 * instead of failing (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`, `%!d(BADINDEX)`).
 *
 * Alloy hands `fmt.Sprintf` its arguments decoded into Go's `interface{}`: null → nil, ints (and uints that
 * fit) → `int`, larger uints → `uint64`, floats → `float64`, arrays → `[]interface {}`, objects →
 * `map[string]interface {}`. Type names in markers follow those Go types.
 */
import {
  canBackquote,
  codePoints,
  type FloatFormat,
  formatGoFloat,
  isGoPrint,
  quoteGo,
  quoteGoASCII,
  quoteGoRune,
} from "./go-strconv.ts";
import {
  AlloyFunction,
  AlloyNumber,
  Capsule,
  type ObjectValue,
  OptionalSecret,
  Secret,
  type Value,
} from "./value.ts";

export { formatFloat, numberToString, quoteGo } from "./go-strconv.ts";

/** A value as Go's `fmt` sees it; `null` is a nil interface. */
type GoValue =
  | { readonly kind: "bool"; readonly v: boolean }
  | { readonly kind: "int"; readonly v: bigint }
  | { readonly kind: "uint64"; readonly v: bigint }
  | { readonly kind: "float64"; readonly v: number }
  | { readonly kind: "string"; readonly v: string; readonly type: string }
  | { readonly kind: "slice"; readonly v: readonly (GoValue | null)[] }
  | { readonly kind: "map"; readonly v: readonly (readonly [string, GoValue | null])[] };

const INT64_MAX = (1n << 63n) - 1n;

/**
 * Go `fmt.Sprintf(format, args...)` over Alloy values. Secrets print as `(secret)` (the stdlib refuses them
 * before they get here); capsules and functions print as their description.
 */
export function sprintf(format: string, args: readonly Value[]): string {
  const p = new Printer(args.map(toGoValue));
  p.doPrintf(format);
  return p.buf;
}

function toGoValue(v: Value): GoValue | null {
  if (v === null) return null;
  if (typeof v === "boolean") return { kind: "bool", v };
  if (typeof v === "string") return { kind: "string", v, type: "string" };
  if (v instanceof AlloyNumber) {
    if (typeof v.value === "number") return { kind: "float64", v: v.value };
    if (v.kind === "uint" && v.value > INT64_MAX) return { kind: "uint64", v: v.value };
    return { kind: "int", v: v.value };
  }
  if (Array.isArray(v)) return { kind: "slice", v: (v as readonly Value[]).map(toGoValue) };
  if (v instanceof Map) {
    const entries = [...(v as ObjectValue)].map(([k, x]) => [k, toGoValue(x)] as const);
    entries.sort((a, b) => compareCodePoints(a[0], b[0]));
    return { kind: "map", v: entries };
  }
  if (v instanceof Secret) return { kind: "string", v: "(secret)", type: "alloytypes.Secret" };
  if (v instanceof OptionalSecret) {
    return v.isSecret
      ? { kind: "string", v: "(secret)", type: "alloytypes.OptionalSecret" }
      : { kind: "string", v: v.reveal(), type: "string" };
  }
  if (v instanceof Capsule) return { kind: "string", v: String(v), type: v.hostType };
  if (v instanceof AlloyFunction) return { kind: "string", v: "function", type: "func" };
  return { kind: "string", v: String(v), type: "unknown" };
}

/** Orders strings the way Go compares them (by UTF-8 bytes, which is code point order). */
export function compareCodePoints(a: string, b: string): number {
  const x = codePoints(a);
  const y = codePoints(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function typeName(v: GoValue): string {
  switch (v.kind) {
    case "slice":
      return "[]interface {}";
    case "map":
      return "map[string]interface {}";
    case "string":
      return v.type;
    default:
      return v.kind;
  }
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const TOO_LARGE = 1e6;

/** Go's `pp` and `fmt` state for one Sprintf call. */
class Printer {
  buf = "";
  private readonly args: readonly (GoValue | null)[];
  private wid = 0;
  private prec = 0;
  private widPresent = false;
  private precPresent = false;
  private minus = false;
  private plus = false;
  private sharp = false;
  private space = false;
  private zero = false;
  private sharpV = false;
  private reordered = false;
  private goodArgNum = true;

  constructor(args: readonly (GoValue | null)[]) {
    this.args = args;
  }

  private clearFlags(): void {
    this.widPresent = false;
    this.precPresent = false;
    this.minus = false;
    this.plus = false;
    this.sharp = false;
    this.space = false;
    this.zero = false;
    this.sharpV = false;
    this.wid = 0;
    this.prec = 0;
  }

  doPrintf(format: string): void {
    const end = format.length;
    const numArgs = this.args.length;
    let argNum = 0;
    let afterIndex = false;
    let i = 0;
    while (i < end) {
      this.goodArgNum = true;
      const lasti = i;
      while (i < end && format[i] !== "%") i++;
      if (i > lasti) this.buf += format.slice(lasti, i);
      if (i >= end) break;
      i++;

      this.clearFlags();
      flags: for (; i < end; i++) {
        switch (format[i]) {
          case "#":
            this.sharp = true;
            break;
          case "0":
            this.zero = !this.minus; // zero padding only to the left
            break;
          case "+":
            this.plus = true;
            break;
          case "-":
            this.minus = true;
            this.zero = false;
            break;
          case " ":
            this.space = true;
            break;
          default:
            break flags;
        }
      }

      [argNum, i, afterIndex] = this.argNumber(argNum, format, i, numArgs);

      if (i < end && format[i] === "*") {
        i++;
        [this.wid, this.widPresent, argNum] = this.intFromArg(argNum);
        if (!this.widPresent) this.buf += "%!(BADWIDTH)";
        if (this.wid < 0) {
          this.wid = -this.wid;
          this.minus = true;
          this.zero = false;
        }
        afterIndex = false;
      } else {
        [this.wid, this.widPresent, i] = parsenum(format, i, end);
        if (afterIndex && this.widPresent) this.goodArgNum = false;
      }

      if (i + 1 < end && format[i] === ".") {
        i++;
        if (afterIndex) this.goodArgNum = false;
        [argNum, i, afterIndex] = this.argNumber(argNum, format, i, numArgs);
        if (i < end && format[i] === "*") {
          i++;
          [this.prec, this.precPresent, argNum] = this.intFromArg(argNum);
          if (this.prec < 0) {
            this.prec = 0;
            this.precPresent = false;
          }
          if (!this.precPresent) this.buf += "%!(BADPREC)";
          afterIndex = false;
        } else {
          [this.prec, this.precPresent, i] = parsenum(format, i, end);
          if (!this.precPresent) {
            this.prec = 0;
            this.precPresent = true;
          }
        }
      }

      if (!afterIndex) [argNum, i, afterIndex] = this.argNumber(argNum, format, i, numArgs);

      if (i >= end) {
        this.buf += "%!(NOVERB)";
        break;
      }
      const verb = String.fromCodePoint(format.codePointAt(i) as number);
      i += verb.length;

      if (verb === "%") {
        this.buf += "%";
      } else if (!this.goodArgNum) {
        this.buf += `%!${verb}(BADINDEX)`;
      } else if (argNum >= numArgs) {
        this.buf += `%!${verb}(MISSING)`;
      } else {
        if (verb === "v" || verb === "w") {
          this.sharpV = this.sharp;
          this.sharp = false;
          this.plus = false; // %+v is Go's struct-field syntax, which Alloy values do not use
        }
        this.printArg(this.args[argNum] as GoValue | null, verb);
        argNum++;
      }
    }

    if (!this.reordered && argNum < numArgs) {
      this.clearFlags();
      this.buf += "%!(EXTRA ";
      this.args.slice(argNum).forEach((arg, n) => {
        if (n > 0) this.buf += ", ";
        if (arg === null) {
          this.buf += "<nil>";
        } else {
          this.buf += `${typeName(arg)}=`;
          this.printArg(arg, "v");
        }
      });
      this.buf += ")";
    }
  }

  /** Go's `argNumber`: an optional `[n]` index; returns the argument number, position and whether one was found. */
  private argNumber(argNum: number, format: string, i: number, numArgs: number): [number, number, boolean] {
    if (format.length <= i || format[i] !== "[") return [argNum, i, false];
    this.reordered = true;
    const [index, wid, ok] = parseArgNumber(format.slice(i));
    if (ok && index >= 0 && index < numArgs) return [index, i + wid, true];
    this.goodArgNum = false;
    return [argNum, i + wid, ok];
  }

  private intFromArg(argNum: number): [number, boolean, number] {
    if (argNum >= this.args.length) return [0, false, argNum];
    const arg = this.args[argNum];
    if (arg?.kind === "int" && arg.v >= -TOO_LARGE && arg.v <= TOO_LARGE) {
      return [Number(arg.v), true, argNum + 1];
    }
    return [0, false, argNum + 1];
  }

  // ---- pp: dispatch on the argument's type ----

  private printArg(arg: GoValue | null, verb: string): void {
    if (arg === null) {
      if (verb === "T" || verb === "v") this.padString("<nil>");
      else this.badVerb(verb, null);
      return;
    }
    if (verb === "T") {
      this.fmtS(typeName(arg));
      return;
    }
    // %p prints addresses, which Alloy values do not have here; %w only works in Errorf.
    if (verb === "p" || verb === "w") {
      this.badVerb(verb, arg);
      return;
    }
    this.printValue(arg, verb);
  }

  private printValue(value: GoValue, verb: string): void {
    switch (value.kind) {
      case "bool":
        if (verb === "t" || verb === "v") this.padString(value.v ? "true" : "false");
        else this.badVerb(verb, value);
        return;
      case "int":
        this.printInteger(BigInt.asUintN(64, value.v), true, verb, value);
        return;
      case "uint64":
        this.printInteger(value.v, false, verb, value);
        return;
      case "float64":
        this.printFloat(value.v, verb, value);
        return;
      case "string":
        this.printString(value.v, verb, value);
        return;
      case "map":
        this.buf += this.sharpV ? "map[string]interface {}{" : "map[";
        value.v.forEach(([k, x], n) => {
          if (n > 0) this.buf += this.sharpV ? ", " : " ";
          this.printValue({ kind: "string", v: k, type: "string" }, verb);
          this.buf += ":";
          this.printElement(x, verb);
        });
        this.buf += this.sharpV ? "}" : "]";
        return;
      case "slice":
        this.buf += this.sharpV ? "[]interface {}{" : "[";
        value.v.forEach((x, n) => {
          if (n > 0) this.buf += this.sharpV ? ", " : " ";
          this.printElement(x, verb);
        });
        this.buf += this.sharpV ? "}" : "]";
        return;
    }
  }

  /** An element of a `[]interface {}` or a map value: a nil interface prints without padding. */
  private printElement(x: GoValue | null, verb: string): void {
    if (x === null) this.buf += this.sharpV ? "interface {}(nil)" : "<nil>";
    else this.printValue(x, verb);
  }

  private badVerb(verb: string, arg: GoValue | null): void {
    this.buf += `%!${verb}(`;
    if (arg === null) {
      this.buf += "<nil>";
    } else {
      this.buf += `${typeName(arg)}=`;
      this.printArg(arg, "v");
    }
    this.buf += ")";
  }

  private printInteger(v: bigint, isSigned: boolean, verb: string, arg: GoValue): void {
    switch (verb) {
      case "v":
        if (this.sharpV && !isSigned) {
          const sharp = this.sharp;
          this.sharp = true;
          this.fmtInteger(v, 16, false, "v", false);
          this.sharp = sharp;
        } else {
          this.fmtInteger(v, 10, isSigned, verb, false);
        }
        return;
      case "d":
        this.fmtInteger(v, 10, isSigned, verb, false);
        return;
      case "b":
        this.fmtInteger(v, 2, isSigned, verb, false);
        return;
      case "o":
      case "O":
        this.fmtInteger(v, 8, isSigned, verb, false);
        return;
      case "x":
        this.fmtInteger(v, 16, isSigned, verb, false);
        return;
      case "X":
        this.fmtInteger(v, 16, isSigned, verb, true);
        return;
      case "c":
        this.pad(String.fromCodePoint(validRune(v)));
        return;
      case "q":
        this.pad(quoteGoRune(validRune(v), this.plus));
        return;
      case "U":
        this.fmtUnicode(v);
        return;
      default:
        this.badVerb(verb, arg);
        return;
    }
  }

  private printFloat(v: number, verb: string, arg: GoValue): void {
    switch (verb) {
      case "v":
        this.fmtFloat(v, "g", -1);
        return;
      case "b":
      case "g":
      case "G":
      case "x":
      case "X":
        this.fmtFloat(v, verb, -1);
        return;
      case "f":
      case "e":
      case "E":
      case "F":
        this.fmtFloat(v, verb, 6);
        return;
      default:
        this.badVerb(verb, arg);
        return;
    }
  }

  private printString(v: string, verb: string, arg: GoValue): void {
    switch (verb) {
      case "v":
        if (this.sharpV) this.fmtQ(v);
        else this.fmtS(v);
        return;
      case "s":
        this.fmtS(v);
        return;
      case "x":
        this.fmtSx(v, false);
        return;
      case "X":
        this.fmtSx(v, true);
        return;
      case "q":
        this.fmtQ(v);
        return;
      default:
        this.badVerb(verb, arg);
        return;
    }
  }

  // ---- fmt: padding and the formatting of each kind ----

  private writePadding(n: number): void {
    if (n > 0) this.buf += (this.zero ? "0" : " ").repeat(n);
  }

  private pad(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.wid - runeCount(s);
    if (this.minus) {
      this.buf += s;
      this.writePadding(width);
    } else {
      this.writePadding(width);
      this.buf += s;
    }
  }

  private padString(s: string): void {
    this.pad(s);
  }

  /** Pads without zeros, as integers (already zero-extended) and special floats do. */
  private padNoZero(s: string): void {
    const zero = this.zero;
    this.zero = false;
    this.pad(s);
    this.zero = zero;
  }

  private fmtInteger(
    value: bigint,
    base: 2 | 8 | 10 | 16,
    isSigned: boolean,
    verb: string,
    upper: boolean,
  ): void {
    let u = value;
    const negative = isSigned && BigInt.asIntN(64, u) < 0n;
    if (negative) u = BigInt.asUintN(64, -BigInt.asIntN(64, u));
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      if (prec === 0 && u === 0n) {
        const zero = this.zero;
        this.zero = false;
        this.writePadding(this.wid);
        this.zero = zero;
        return;
      }
    } else if (this.zero && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--;
    }
    let digits = u.toString(base);
    if (upper) digits = digits.toUpperCase();
    if (digits.length < prec) digits = "0".repeat(prec - digits.length) + digits;
    if (this.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && digits[0] !== "0") digits = `0${digits}`;
      else if (base === 16) digits = (upper ? "0X" : "0x") + digits;
    }
    if (verb === "O") digits = `0o${digits}`;
    if (negative) digits = `-${digits}`;
    else if (this.plus) digits = `+${digits}`;
    else if (this.space) digits = ` ${digits}`;
    this.padNoZero(digits);
  }

  private fmtUnicode(u: bigint): void {
    const prec = this.precPresent && this.prec > 4 ? this.prec : 4;
    let tail = "";
    if (this.sharp && u <= 0x10ffffn && isGoPrint(Number(u))) tail = ` '${String.fromCodePoint(Number(u))}'`;
    const hex = u.toString(16).toUpperCase();
    this.padNoZero(`U+${hex.padStart(prec, "0")}${tail}`);
  }

  private truncate(s: string): string {
    if (!this.precPresent) return s;
    let n = 0;
    let i = 0;
    for (const ch of s) {
      if (n === this.prec) return s.slice(0, i);
      n++;
      i += ch.length;
    }
    return s;
  }

  private fmtS(s: string): void {
    this.padString(this.truncate(s));
  }

  private fmtSx(s: string, upper: boolean): void {
    const bytes = Buffer.from(s, "utf8");
    let length = bytes.length;
    if (this.precPresent && this.prec < length) length = this.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.space) {
        if (this.sharp) width *= 2;
        width += length - 1;
      } else if (this.sharp) {
        width += 2;
      }
    } else {
      if (this.widPresent) this.writePadding(this.wid);
      return;
    }
    if (this.widPresent && this.wid > width && !this.minus) this.writePadding(this.wid - width);
    const prefix = upper ? "0X" : "0x";
    let out = this.sharp ? prefix : "";
    for (let i = 0; i < length; i++) {
      if (this.space && i > 0) out += this.sharp ? ` ${prefix}` : " ";
      const hex = (bytes[i] as number).toString(16).padStart(2, "0");
      out += upper ? hex.toUpperCase() : hex;
    }
    this.buf += out;
    if (this.widPresent && this.wid > width && this.minus) this.writePadding(this.wid - width);
  }

  private fmtQ(str: string): void {
    const s = this.truncate(str);
    if (this.sharp && canBackquote(s)) this.padString(`\`${s}\``);
    else this.pad(this.plus ? quoteGoASCII(s) : quoteGo(s));
  }

  private fmtFloat(v: number, verb: FloatFormat, defaultPrec: number): void {
    const prec = this.precPresent ? this.prec : defaultPrec;
    let num = formatGoFloat(v, verb, prec);
    if (num[0] !== "-" && num[0] !== "+") num = `+${num}`;
    if (this.space && num[0] === "+" && !this.plus) num = ` ${num.slice(1)}`;
    if (num[1] === "I" || num[1] === "N") {
      if (num[1] === "N" && !this.space && !this.plus) num = num.slice(1);
      this.padNoZero(num);
      return;
    }
    if (this.sharp && verb !== "b") num = forceDecimalPoint(num, verb, prec);
    if (this.plus || num[0] !== "+") {
      if (this.zero && this.widPresent && this.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }
}

/** The `#` flag on floats: always a decimal point, and %g keeps its trailing zeros. `num` starts with a sign. */
function forceDecimalPoint(num: string, verb: FloatFormat, prec: number): string {
  let digits = 0;
  if (verb === "g" || verb === "G" || verb === "x") digits = prec === -1 ? 6 : prec;
  let body = num;
  let tail = "";
  let hasDecimalPoint = false;
  let sawNonzeroDigit = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i] as string;
    if (c === ".") {
      hasDecimalPoint = true;
    } else if (c === "p" || c === "P" || ((c === "e" || c === "E") && verb !== "x" && verb !== "X")) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== "0") sawNonzeroDigit = true;
      if (sawNonzeroDigit) digits--;
    }
  }
  if (!hasDecimalPoint) {
    if (body.length === 2 && body[1] === "0") digits--;
    body += ".";
  }
  if (digits > 0) body += "0".repeat(digits);
  return body + tail;
}

/** A uint64 as a rune for %c and %q: out-of-range values and surrogates become U+FFFD. */
function validRune(v: bigint): number {
  if (v > 0x10ffffn) return 0xfffd;
  const r = Number(v);
  return r >= 0xd800 && r <= 0xdfff ? 0xfffd : r;
}

/** Go's `parsenum`: a decimal at `start`; absurdly long numbers count as none and end the format. */
function parsenum(s: string, start: number, end: number): [number, boolean, number] {
  if (start >= end) return [0, false, end];
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s[i]! >= "0" && s[i]! <= "9"; i++) {
    if (num > TOO_LARGE || num < -TOO_LARGE) return [0, false, end];
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return [num, isnum, i];
}

/** Go's `parseArgNumber` on text starting at `[`: the 0-based index, the text consumed and whether it parsed. */
function parseArgNumber(format: string): [number, number, boolean] {
  if (format.length < 3) return [0, 1, false];
  for (let i = 1; i < format.length; i++) {
    if (format[i] === "]") {
      const [width, ok, newi] = parsenum(format, 1, i);
      if (!ok || newi !== i) return [0, i + 1, false];
      return [width - 1, i + 1, true];
    }
  }
  return [0, 1, false];
}
