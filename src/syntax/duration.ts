/**
 * Durations as Alloy reads and prints them: Go's `time.ParseDuration` (same grammar, same error texts, same
 * overflow limits) and `time.Duration.String()`. Values are carried as milliseconds (fractions allowed);
 * the `…Nanos` variants give the exact nanosecond count Go works with.
 */

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // U+00B5 micro sign
  ["\u03bcs", 1_000n], // U+03BC Greek small letter mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

const LIMIT = 1n << 63n;
const NANOS_PER_MS = 1_000_000n;

/**
 * Parses a Go duration (`"500ms"`, `"1h30m"`, `"-1.5s"`, `"0"`) into milliseconds. Throws an `Error` whose
 * message is Go's: `time: invalid duration ""`, `time: missing unit in duration "30"`,
 * `time: unknown unit "d" in duration "1d"`.
 */
export function parseDuration(text: string): number {
  return nanosToMillis(parseDurationNanos(text));
}

/** Like `parseDuration`, but returns the exact number of nanoseconds (an int64, as in Go). */
export function parseDurationNanos(text: string): bigint {
  const invalid = () => new Error(`time: invalid duration ${quoteTime(text)}`);
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid();
    // [0-9]*
    let i = 0;
    let v = 0n;
    while (i < s.length && isDigit(s[i])) {
      if (v > LIMIT / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > LIMIT) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    // (\.[0-9]*)?
    let post = false;
    let f = 0n;
    let scale = 1;
    if (s !== "" && s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isDigit(s[j])) {
        if (!overflow) {
          const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
          if (f > (LIMIT - 1n) / 10n || y > LIMIT) {
            overflow = true;
          } else {
            f = y;
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    // unit: everything up to the next '.' or digit
    let k = 0;
    while (k < s.length && s[k] !== "." && !isDigit(s[k])) k++;
    if (k === 0) throw new Error(`time: missing unit in duration ${quoteTime(text)}`);
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS.get(u);
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${quoteTime(u)} in duration ${quoteTime(text)}`);
    }
    if (v > LIMIT / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go does this in float64 too, to stay nanosecond-accurate for fractions of hours.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) throw invalid();
    }
    d += v;
    if (d > LIMIT) throw invalid();
  }
  if (neg) return -d;
  if (d > LIMIT - 1n) throw invalid();
  return d;
}

/** Go's `Duration.String()` of a number of milliseconds: `0s`, `500ms`, `1.5s`, `5m0s`, `1h2m3.5s`, `1µs`. */
export function formatDuration(ms: number): string {
  return formatDurationNanos(millisToNanos(ms));
}

/** Go's `Duration.String()` of an int64 number of nanoseconds. */
export function formatDurationNanos(nanos: bigint): string {
  const neg = nanos < 0n;
  let u = neg ? -nanos : nanos;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return "0s";
    let prec: number;
    let unit: string;
    if (u < 1_000n) {
      prec = 0;
      unit = "ns";
    } else if (u < 1_000_000n) {
      prec = 3;
      unit = "\u00b5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const [frac, rest] = fmtFrac(u, 9);
    u = rest;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** The fraction of v/10^prec as `.123` (trailing zeros and a bare point omitted) and the integer part. */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = "";
  let print = false;
  let x = v;
  for (let i = 0; i < prec; i++) {
    const digit = x % 10n;
    print = print || digit !== 0n;
    if (print) digits = String(digit) + digits;
    x /= 10n;
  }
  return [print ? `.${digits}` : "", x];
}

/** Exact nanoseconds as milliseconds (the nearest double). */
export function nanosToMillis(nanos: bigint): number {
  return Number(nanos / NANOS_PER_MS) + Number(nanos % NANOS_PER_MS) / 1e6;
}

/** Milliseconds as whole nanoseconds (rounded to the nearest), clamped to int64 like Go's arithmetic would overflow. */
export function millisToNanos(ms: number): bigint {
  if (Number.isNaN(ms)) return 0n;
  if (!Number.isFinite(ms)) return ms > 0 ? LIMIT - 1n : -LIMIT;
  const whole = Math.trunc(ms);
  const nanos = BigInt(whole) * NANOS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  if (nanos > LIMIT - 1n) return LIMIT - 1n;
  if (nanos < -LIMIT) return -LIMIT;
  return nanos;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** The `time` package's own quoting: ASCII as is (`"` and `\` escaped), everything else as `\x` bytes. */
function quoteTime(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c >= 0x80 || c < 0x20) {
      for (const b of Buffer.from(ch, "utf8")) out += `\\x${b.toString(16).padStart(2, "0")}`;
    } else {
      if (ch === '"' || ch === "\\") out += "\\";
      out += ch;
    }
  }
  return `${out}"`;
}
