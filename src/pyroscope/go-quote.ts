/**
 * Go's `strconv.Quote` / `strconv.QuoteRune` and `strings.TrimSpace`, so messages that Pyroscope and Alloy
 * build with `%q` (label errors, Prometheus label-set text) and the `name` grammar's trimming come out with the
 * same characters as Go's. One implementation serves the language and the wire protocol: these are the
 * syntax package's ports of Go's strconv and strings.
 */
import { quoteGo, quoteGoRune } from "../syntax/go-strconv.ts";

export { goTrimSpace } from "../syntax/stdlib/string.ts";

/** Go `strconv.QuoteRune` of one code point, e.g. `'-'`, `'\''`, `'\x00'`, `'\u00a0'`. */
export function goQuoteRune(codePoint: number): string {
  return quoteGoRune(codePoint);
}

/** Go `strconv.Quote` of a string, e.g. `"a\"b\n"`. */
export function goQuote(s: string): string {
  return quoteGo(s);
}
