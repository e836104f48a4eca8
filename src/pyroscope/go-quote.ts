/**
 * Go's `strconv.Quote` / `strconv.QuoteRune`, so messages that Pyroscope and Alloy build with `%q` (label
 * errors, Prometheus label-set text) come out with the same characters and escapes.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go `strconv.QuoteRune` of one code point, e.g. `'-'`, `'\''`, `'\x00'`, `'\u00a0'`. */
export function goQuoteRune(codePoint: number): string {
  return `'${escapeCodePoint(codePoint, "'")}'`;
}

/** Go `strconv.Quote` of a string, e.g. `"a\"b\n"`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    out += escapeCodePoint(ch.codePointAt(0)!, '"');
  }
  return `${out}"`;
}

function escapeCodePoint(cp: number, quote: "'" | '"'): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === "\\") {
    return `\\${ch}`;
  }
  if (PRINTABLE.test(ch)) {
    return ch;
  }
  switch (ch) {
    case "\x07":
      return "\\a";
    case "\b":
      return "\\b";
    case "\f":
      return "\\f";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\v":
      return "\\v";
  }
  if (cp < 0x20 || cp === 0x7f) {
    return `\\x${hex(cp, 2)}`;
  }
  // A lone surrogate is not a valid rune: Go prints U+FFFD's escape for it.
  const r = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
  return r < 0x10000 ? `\\u${hex(r, 4)}` : `\\U${hex(r, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** Go `strings.TrimSpace`: trims Unicode White_Space (unlike `String.prototype.trim`, keeps U+FEFF, trims U+0085). */
export function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) {
    start++;
  }
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) {
    end--;
  }
  return s.slice(start, end);
}

/** Go `unicode.IsSpace`. */
function isGoSpace(c: number): boolean {
  if (c <= 0xff) {
    return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  }
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}
