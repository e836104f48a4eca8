/**
 * The parts of Go's `strconv` that Alloy's output depends on: float formatting (`FormatFloat` in every mode,
 * with Go's exact rounding), number-to-text conversion and string quoting. JS's own `toFixed`/`toPrecision`
 * round ties away from zero and switch to exponents at other thresholds, so they cannot be used.
 */
import type { AlloyNumber } from "./value.ts";

/** A `strconv.FormatFloat` format byte (`F` is accepted as `f`, as `fmt` does). */
export type FloatFormat = "b" | "e" | "E" | "f" | "F" | "g" | "G" | "x" | "X";

/** Decimal digits of a magnitude: value = 0.`d` × 10^`dp`, `d` without trailing zeros (empty for zero). */
interface Decimal {
  d: string;
  dp: number;
}

const float64 = new Float64Array(1);
const uint64 = new BigUint64Array(float64.buffer);
const MASK64 = (1n << 64n) - 1n;

/** Go `strconv.FormatFloat(v, fmt, prec, 64)`; `prec < 0` means the shortest text that reads back as `v`. */
export function formatGoFloat(v: number, fmt: FloatFormat, prec: number): string {
  const format = fmt === "F" ? "f" : fmt;
  float64[0] = v;
  const bits = uint64[0] as bigint;
  const neg = bits >> 63n !== 0n;
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0x7ff) return mant !== 0n ? "NaN" : neg ? "-Inf" : "+Inf";
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  if (format === "b") return fmtB(neg, mant, exp);
  if (format === "x" || format === "X") return fmtX(prec, format, neg, mant, exp);

  const shortest = prec < 0;
  let digs: Decimal;
  let p = prec;
  if (shortest) {
    digs = shortestDecimal(Math.abs(v));
    if (format === "e" || format === "E") p = digs.d.length - 1;
    else if (format === "f") p = Math.max(digs.d.length - digs.dp, 0);
    else p = digs.d.length;
  } else {
    digs = exactDecimal(mant, exp - 52);
    if (format === "e" || format === "E") roundDecimal(digs, p + 1);
    else if (format === "f") roundDecimal(digs, digs.dp + p);
    else {
      if (p === 0) p = 1;
      roundDecimal(digs, p);
    }
  }
  return formatDigits(shortest, neg, digs, p, format);
}

/** Go's `%v` / `FormatFloat(n, 'g', -1, 64)`: `0.30000000000000004`, `1e+21`, `100000`, `1e+06`. */
export function formatFloat(n: number): string {
  return formatGoFloat(n, "g", -1);
}

/**
 * A number as Alloy turns it into a string (§3.8): ints and uints in decimal, floats in the shortest decimal
 * form that never uses an exponent (`1e21` → `1000000000000000000000`, `-0.0` → `-0`).
 */
export function numberToString(n: AlloyNumber): string {
  if (typeof n.value === "bigint") return n.value.toString();
  return formatGoFloat(n.value, "f", -1);
}

function formatDigits(shortest: boolean, neg: boolean, digs: Decimal, prec: number, fmt: string): string {
  switch (fmt) {
    case "e":
    case "E":
      return fmtE(neg, digs, prec, fmt);
    case "f":
      return fmtF(neg, digs, prec);
    default: {
      let eprec = prec;
      const nd = digs.d.length;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      // Shortest output decides between %e and %f as if the precision were 6.
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        const p = Math.min(prec, nd);
        return fmtE(neg, digs, p - 1, fmt === "g" ? "e" : "E");
      }
      const p = prec > digs.dp ? nd : prec;
      return fmtF(neg, digs, Math.max(p - digs.dp, 0));
    }
  }
}

function fmtE(neg: boolean, digs: Decimal, prec: number, fmt: string): string {
  let out = neg ? "-" : "";
  out += digs.d.length === 0 ? "0" : digs.d[0];
  if (prec > 0) {
    out += ".";
    const m = Math.min(digs.d.length, prec + 1);
    out += digs.d.slice(1, m);
    out += "0".repeat(Math.max(0, prec + 1 - Math.max(m, 1)));
  }
  let exp = digs.d.length === 0 ? 0 : digs.dp - 1;
  const sign = exp < 0 ? "-" : "+";
  exp = Math.abs(exp);
  return `${out}${fmt}${sign}${exp < 10 ? `0${exp}` : exp}`;
}

function fmtF(neg: boolean, digs: Decimal, prec: number): string {
  let out = neg ? "-" : "";
  if (digs.dp > 0) {
    const m = Math.min(digs.d.length, digs.dp);
    out += digs.d.slice(0, m) + "0".repeat(digs.dp - m);
  } else {
    out += "0";
  }
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      out += j >= 0 && j < digs.d.length ? digs.d[j] : "0";
    }
  }
  return out;
}

/** `%b`: the mantissa and a binary exponent, `4503599627370496p-52`. */
function fmtB(neg: boolean, mant: bigint, exp: number): string {
  const e = exp - 52;
  return `${neg ? "-" : ""}${mant}p${e >= 0 ? "+" : ""}${e}`;
}

/** `%x`: hexadecimal mantissa and binary exponent, `0x1.8p+01`. */
function fmtX(prec: number, fmt: "x" | "X", neg: boolean, mantissa: bigint, exponent: number): string {
  let mant = mantissa;
  let exp = mantissa === 0n ? 0 : exponent;
  mant <<= 8n; // leading 1 (if any) at bit 60
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === "X" ? "0123456789ABCDEF" : "0123456789abcdef";
  let out = `${neg ? "-" : ""}0${fmt}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & MASK64;
  if (prec < 0 && mant !== 0n) {
    out += ".";
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & MASK64;
    }
  } else if (prec > 0) {
    out += ".";
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & MASK64;
    }
  }
  out += fmt === "X" ? "P" : "p";
  out += exp < 0 ? "-" : "+";
  const e = Math.abs(exp);
  return out + (e < 10 ? `0${e}` : String(e));
}

/** The exact decimal expansion of mant × 2^exp2 (every double has one). */
function exactDecimal(mant: bigint, exp2: number): Decimal {
  if (mant === 0n) return { d: "", dp: 0 };
  let d: string;
  let dp: number;
  if (exp2 >= 0) {
    d = (mant << BigInt(exp2)).toString();
    dp = d.length;
  } else {
    const k = -exp2;
    d = (mant * 5n ** BigInt(k)).toString();
    dp = d.length - k;
  }
  return { d: d.replace(/0+$/, ""), dp };
}

/** The shortest digits that read back as `x` (x ≥ 0); JS and Go agree on these. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { d: "", dp: 0 };
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (m === null) throw new Error(`unexpected float text ${x.toExponential()}`);
  return { d: (m[1]! + (m[2] ?? "")).replace(/0+$/, ""), dp: Number(m[3]) + 1 };
}

/** Go's `decimal.Round`: keep `nd` digits, rounding half to even on the exact value. */
function roundDecimal(a: Decimal, nd: number): void {
  if (nd < 0 || nd >= a.d.length) return;
  let up: boolean;
  if (a.d[nd] === "5" && nd + 1 === a.d.length) {
    up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = (a.d[nd] as string) >= "5";
  }
  if (!up) {
    a.d = a.d.slice(0, nd).replace(/0+$/, "");
    if (a.d.length === 0) a.dp = 0;
    return;
  }
  for (let i = nd - 1; i >= 0; i--) {
    const c = a.d.charCodeAt(i);
    if (c < 57) {
      a.d = a.d.slice(0, i) + String.fromCharCode(c + 1);
      return;
    }
  }
  a.d = "1";
  a.dp++;
}

// ---------------------------------------------------------------------------------------------------------
// Quoting

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isGoPrint(r: number): boolean {
  if (r === 0x20) return true;
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return false;
  return PRINTABLE.test(String.fromCodePoint(r));
}

/** The code points of `s`, a lone surrogate standing for U+FFFD as Go decodes invalid text. */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const r = ch.codePointAt(0) as number;
    out.push(r >= 0xd800 && r <= 0xdfff ? 0xfffd : r);
  }
  return out;
}

/** Go `strconv.Quote`: `"a\"b\n"`; non-printable runes as `\x`, `\u` or `\U` escapes. */
export function quoteGo(s: string): string {
  return quoteWith(s, '"', false);
}

/** Go `strconv.QuoteToASCII`: like `quoteGo`, but every non-ASCII rune is escaped. */
export function quoteGoASCII(s: string): string {
  return quoteWith(s, '"', true);
}

/** Go `strconv.QuoteRune` (or `QuoteRuneToASCII`); invalid runes become U+FFFD. */
export function quoteGoRune(r: number, asciiOnly = false): string {
  const rune = r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff) ? 0xfffd : r;
  return `'${escapeRune(rune, "'", asciiOnly)}'`;
}

/** Go `strconv.CanBackquote`: no control characters but tab, no backquote, no U+FEFF. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const r = ch.codePointAt(0) as number;
    if (r === 0xfeff || (r >= 0xd800 && r <= 0xdfff)) return false;
    if ((r < 0x20 && r !== 0x09) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}

function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
  let out = quote;
  for (const r of codePoints(s)) out += escapeRune(r, quote, asciiOnly);
  return out + quote;
}

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = {
  7: "\\a",
  8: "\\b",
  12: "\\f",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  11: "\\v",
};

function escapeRune(r: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(r);
  if (ch === quote || ch === "\\") return `\\${ch}`;
  if (asciiOnly ? r < 0x80 && isGoPrint(r) : isGoPrint(r)) return ch;
  const simple = SIMPLE_ESCAPES[r];
  if (simple !== undefined) return simple;
  if (r < 0x20 || r === 0x7f) return `\\x${r.toString(16).padStart(2, "0")}`;
  if (r < 0x10000) return `\\u${r.toString(16).padStart(4, "0")}`;
  return `\\U${r.toString(16).padStart(8, "0")}`;
}
