/**
 * The lexical tokens of the Alloy language. A token's kind is the name Alloy prints for it in messages
 * (`expected TERMINATOR, got IDENT`, `expected ), got ,`), so messages are built from the kind directly.
 */
import { isGoPrint, quoteGo } from "./go-strconv.ts";

/** Every token kind the scanner produces, named as Alloy names them in diagnostics. */
export type TokenKind =
  | "ILLEGAL"
  | "EOF"
  | "COMMENT"
  | "IDENT"
  | "NUMBER"
  | "FLOAT"
  | "STRING"
  | "BOOL"
  | "NULL"
  | "||"
  | "&&"
  | "!"
  | "="
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "^"
  | "{"
  | "}"
  | "("
  | ")"
  | "["
  | "]"
  | ","
  | "."
  | "TERMINATOR";

/** Keywords map to their token; every other word is an IDENT. */
export function lookupKeyword(word: string): TokenKind {
  switch (word) {
    case "true":
    case "false":
      return "BOOL";
    case "null":
      return "NULL";
    default:
      return "IDENT";
  }
}

/**
 * The binding strength of a binary operator (1 = `||` … 6 = `^`), or 0 for tokens that are not binary
 * operators. Matches Alloy's `Token.BinaryPrecedence`.
 */
export function binaryPrecedence(tok: TokenKind): number {
  switch (tok) {
    case "||":
      return 1;
    case "&&":
      return 2;
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return 3;
    case "+":
    case "-":
      return 4;
    case "*":
    case "/":
    case "%":
      return 5;
    case "^":
      return 6;
    default:
      return 0;
  }
}

/**
 * Go's `%q` / `strconv.Quote`: a double-quoted string with Go escapes, keeping printable Unicode as is.
 * Alloy uses it for labels and keys it prints and for values quoted in messages.
 */
export function goQuote(s: string): string {
  return quoteGo(s);
}

/** Go's `%#U`: `U+0041 'A'`, or just `U+0007` when the character is not printable. */
export function goRuneDescription(cp: number): string {
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return isGoPrint(cp) ? `${code} '${String.fromCodePoint(cp)}'` : code;
}
