/**
 * The lexical tokens of the Alloy language. A token's kind is the name Alloy prints for it in messages
 * (`expected TERMINATOR, got IDENT`, `expected ), got ,`), so messages are built from the kind directly.
 */

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

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrintableRune(cp: number): boolean {
  if (cp === 0x20) return true;
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/**
 * Go's `%q` / `strconv.Quote`: a double-quoted string with Go escapes, keeping printable Unicode as is.
 * Alloy uses it for labels and keys it prints and for values quoted in messages.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") {
      out += `\\${ch}`;
    } else if (isPrintableRune(cp)) {
      out += ch;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go would print the replacement escape.
      out += "\\ufffd";
    } else {
      switch (cp) {
        case 0x07:
          out += "\\a";
          break;
        case 0x08:
          out += "\\b";
          break;
        case 0x0c:
          out += "\\f";
          break;
        case 0x0a:
          out += "\\n";
          break;
        case 0x0d:
          out += "\\r";
          break;
        case 0x09:
          out += "\\t";
          break;
        case 0x0b:
          out += "\\v";
          break;
        default:
          if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
          else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
          else out += `\\U${hex(cp, 8)}`;
      }
    }
  }
  return `${out}"`;
}

/** Go's `%#U`: `U+0041 'A'`, or just `U+0007` when the character is not printable. */
export function goRuneDescription(cp: number): string {
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return isPrintableRune(cp) ? `${code} '${String.fromCodePoint(cp)}'` : code;
}
