/**
 * The Alloy scanner: turns UTF-8 source bytes into tokens, a port of Alloy's `syntax/scanner`. It works on
 * bytes so that columns count UTF-8 bytes as Alloy's do, inserts TERMINATOR tokens by Alloy's newline rule
 * (including its comment subtleties), and reports lexical errors through a callback while always making
 * progress, so the parser can carry on and report every problem in one run.
 */
import type { Position } from "./position.ts";
import { goRuneDescription, lookupKeyword, type TokenKind } from "./token.ts";

/** Source bytes plus the line table that maps byte offsets to 1-based line and byte-column positions. */
export class SourceFile {
  readonly bytes: Uint8Array;
  readonly lineStarts: readonly number[];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const starts = [0];
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x0a) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  /** The position of a byte offset; offsets past the end are clamped to the end of the file. */
  position(offset: number): Position {
    const off = Math.max(0, Math.min(offset, this.bytes.length));
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= off) lo = mid;
      else hi = mid - 1;
    }
    return { offset: off, line: lo + 1, column: off - (starts[lo] ?? 0) + 1 };
  }
}

/** The bytes of a string as UTF-8 (lone surrogates become U+FFFD, as any UTF-8 encoder does). */
export function utf8Encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const decoder = new TextDecoder("utf-8");

/** Decodes a byte range as UTF-8; invalid sequences become U+FFFD. */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if ((bytes[i] ?? 0) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] ?? 0);
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** The number of bytes of a string in UTF-8. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

const RUNE_ERROR = 0xfffd;

/**
 * Decodes one rune at `i` with Go's `utf8.DecodeRune` rules: `[RUNE_ERROR, 1]` for any invalid or
 * incomplete sequence (overlong forms, surrogates and values above U+10FFFF included).
 */
export function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi ? v & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c1 = cont(1, lo, hi);
    if (c1 < 0) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    if (c2 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c1 = cont(1, lo, hi);
    if (c1 < 0) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    if (c2 < 0) return [RUNE_ERROR, 1];
    const c3 = cont(3);
    if (c3 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [RUNE_ERROR, 1];
}

/** Whether the bytes are valid UTF-8 by Go's rules. */
export function isValidUtf8(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; ) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    const [r, w] = decodeRune(b, i);
    if (r === RUNE_ERROR && w === 1) return false;
    i += w;
  }
  return true;
}

const BOM = 0xfeff;
const EOF_CH = -1;

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

function lower(ch: number): number {
  return ch | 0x20;
}

/** Go's scanner `isLetter`: ASCII letters, `_`, or a Unicode letter. */
export function isLetter(ch: number): boolean {
  const l = lower(ch);
  return (l >= 0x61 && l <= 0x7a) || ch === 0x5f || (ch >= 0x80 && LETTER.test(String.fromCodePoint(ch)));
}

function isDecimal(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

/** Go's scanner `isDigit`: an ASCII digit or a Unicode decimal digit (class Nd). */
export function isDigit(ch: number): boolean {
  return isDecimal(ch) || (ch >= 0x80 && DIGIT.test(String.fromCodePoint(ch)));
}

function digitVal(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  const l = lower(ch);
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return 16;
}

/** Called with the byte offset and message of every lexical error. */
export type ScanErrorHandler = (offset: number, message: string) => void;

/** Scanner options. */
export interface ScannerMode {
  /** Return COMMENT tokens instead of skipping comments. */
  readonly includeComments?: boolean;
  /** Never insert TERMINATOR tokens (for tests of the raw token stream). */
  readonly dontInsertTerms?: boolean;
}

/** One scanned token: its kind, its literal text (see `Scanner.scan`), and its byte range. */
export interface ScannedToken {
  readonly tok: TokenKind;
  readonly lit: string;
  /** Byte offset of the token's first byte. */
  readonly offset: number;
  /** Byte offset just past the token's last byte. */
  readonly endOffset: number;
}

/**
 * A port of Alloy's scanner. `scan()` returns the next token; literals (IDENT, NUMBER, FLOAT, STRING,
 * BOOL, NULL, COMMENT, ILLEGAL) carry their source text, TERMINATOR carries `"\n"`, operators an empty
 * string. Lexical errors go to the handler, and the scanner keeps going.
 */
export class Scanner {
  private readonly src: Uint8Array;
  private readonly onErrorHandler: ScanErrorHandler | undefined;
  private readonly includeComments: boolean;
  private readonly dontInsertTerms: boolean;

  private ch = EOF_CH;
  private offset = 0;
  private readOffset = 0;
  private insertTerm = false;
  private errors = 0;

  constructor(src: Uint8Array, onError?: ScanErrorHandler, mode: ScannerMode = {}) {
    this.src = src;
    this.onErrorHandler = onError;
    this.includeComments = mode.includeComments === true;
    this.dontInsertTerms = mode.dontInsertTerms === true;
    this.next();
    if (this.c() === BOM) this.next(); // A BOM is allowed as the very first character.
  }

  /** How many lexical errors were found so far. */
  get errorCount(): number {
    return this.errors;
  }

  /** The current character (a method, so checks after `next()` are not narrowed away by the compiler). */
  private c(): number {
    return this.ch;
  }

  private peek(): number {
    return this.readOffset < this.src.length ? (this.src[this.readOffset] ?? 0) : 0;
  }

  private next(): void {
    if (this.readOffset >= this.src.length) {
      this.offset = this.src.length;
      this.ch = EOF_CH;
      return;
    }
    this.offset = this.readOffset;
    let r = this.src[this.readOffset] ?? 0;
    let width = 1;
    if (r === 0) {
      this.error(this.offset, "illegal character NUL");
    } else if (r >= 0x80) {
      [r, width] = decodeRune(this.src, this.readOffset);
      if (r === RUNE_ERROR && width === 1) {
        this.error(this.offset, "illegal UTF-8 encoding");
      } else if (r === BOM && this.offset > 0) {
        this.error(this.offset, "illegal byte order mark");
      }
    }
    this.readOffset += width;
    this.ch = r;
  }

  private error(offset: number, msg: string): void {
    this.onErrorHandler?.(offset, msg);
    this.errors++;
  }

  private text(start: number, end: number): string {
    return utf8Decode(this.src, start, end);
  }

  /** Scans the next token. */
  scan(): ScannedToken {
    for (;;) {
      this.skipWhitespace();
      const pos = this.offset;
      let insertTerm = false;
      let tok: TokenKind;
      let lit = "";
      const ch = this.ch;

      if (isLetter(ch)) {
        lit = this.scanIdentifier();
        if (lit.length > 1) {
          tok = lookupKeyword(lit);
        } else {
          tok = "IDENT";
        }
        insertTerm = true;
      } else if (isDecimal(ch) || (ch === 0x2e && isDecimal(this.peek()))) {
        insertTerm = true;
        [tok, lit] = this.scanNumber();
      } else {
        this.next(); // Make progress.
        switch (ch) {
          case EOF_CH:
            if (this.insertTerm) {
              this.insertTerm = false;
              return { tok: "TERMINATOR", lit: "\n", offset: pos, endOffset: pos };
            }
            tok = "EOF";
            break;
          case 0x0a:
            // Only reachable when insertTerm is set; otherwise skipWhitespace consumes newlines.
            this.insertTerm = false;
            return { tok: "TERMINATOR", lit: "\n", offset: pos, endOffset: pos + 1 };
          case 0x27: // '
            this.error(pos, "illegal single-quoted string; use double quotes");
            insertTerm = true;
            tok = "ILLEGAL";
            lit = this.scanString(0x27, true, false);
            break;
          case 0x22: // "
            insertTerm = true;
            tok = "STRING";
            lit = this.scanString(0x22, true, false);
            break;
          case 0x60: // `
            insertTerm = true;
            tok = "STRING";
            lit = this.scanString(0x60, false, true);
            break;
          case 0x7c: // |
            if (this.c() !== 0x7c) this.error(this.offset, "missing second | in ||");
            else this.next();
            tok = "||";
            break;
          case 0x26: // &
            if (this.c() !== 0x26) this.error(this.offset, "missing second & in &&");
            else this.next();
            tok = "&&";
            break;
          case 0x21: // !
            tok = this.switch2("!", "!=");
            break;
          case 0x3d: // =
            tok = this.switch2("=", "==");
            break;
          case 0x3c: // <
            tok = this.switch2("<", "<=");
            break;
          case 0x3e: // >
            tok = this.switch2(">", ">=");
            break;
          case 0x2b:
            tok = "+";
            break;
          case 0x2d:
            tok = "-";
            break;
          case 0x2a:
            tok = "*";
            break;
          case 0x2f: // /
            if (this.c() === 0x2f || this.c() === 0x2a) {
              // A comment. If a terminator is due, it can only come before the comment when the comment
              // runs to the end of the line; otherwise it is inserted after the comment.
              if (this.insertTerm && this.findLineEnd()) {
                this.ch = 0x2f;
                this.offset = pos;
                this.readOffset = pos + 1;
                this.insertTerm = false;
                return { tok: "TERMINATOR", lit: "\n", offset: pos, endOffset: pos };
              }
              const comment = this.scanComment();
              if (!this.includeComments) {
                this.insertTerm = false;
                continue;
              }
              tok = "COMMENT";
              lit = comment;
            } else {
              tok = "/";
            }
            break;
          case 0x25:
            tok = "%";
            break;
          case 0x5e:
            tok = "^";
            break;
          case 0x7b:
            tok = "{";
            break;
          case 0x7d:
            insertTerm = true;
            tok = "}";
            break;
          case 0x28:
            tok = "(";
            break;
          case 0x29:
            insertTerm = true;
            tok = ")";
            break;
          case 0x5b:
            tok = "[";
            break;
          case 0x5d:
            insertTerm = true;
            tok = "]";
            break;
          case 0x2c:
            tok = ",";
            break;
          case 0x2e:
            tok = ".";
            break;
          default:
            // next() already reported invalid BOMs.
            if (ch !== BOM) this.error(pos, `illegal character ${goRuneDescription(ch)}`);
            insertTerm = this.insertTerm; // Keep the previous state.
            tok = "ILLEGAL";
            lit = String.fromCodePoint(ch);
        }
      }

      if (!this.dontInsertTerms) this.insertTerm = insertTerm;
      return { tok, lit, offset: pos, endOffset: this.offset };
    }
  }

  private skipWhitespace(): void {
    while (
      this.c() === 0x20 ||
      this.c() === 0x09 ||
      this.c() === 0x0d ||
      (this.c() === 0x0a && !this.insertTerm)
    ) {
      this.next();
    }
  }

  private scanIdentifier(): string {
    const off = this.offset;
    while (isLetter(this.ch) || isDigit(this.ch)) this.next();
    return this.text(off, this.offset);
  }

  private scanNumber(): [TokenKind, string] {
    let tok: TokenKind = "NUMBER";
    const off = this.offset;
    if (this.c() !== 0x2e) this.digits();
    if (this.c() === 0x2e) {
      tok = "FLOAT";
      this.next();
      this.digits();
    }
    if (lower(this.ch) === 0x65) {
      tok = "FLOAT";
      this.next();
      if (this.c() === 0x2b || this.c() === 0x2d) this.next();
      if (this.digits() === 0) this.error(off, "exponent has no digits");
    }
    return [tok, this.text(off, this.offset)];
  }

  private digits(): number {
    let count = 0;
    while (isDecimal(this.ch)) {
      this.next();
      count++;
    }
    return count;
  }

  private scanString(until: number, escapes: boolean, multiline: boolean): string {
    const off = this.offset - 1; // The opening quote was consumed already.
    for (;;) {
      const ch = this.ch;
      if ((!multiline && ch === 0x0a) || ch === EOF_CH) {
        this.error(off, "string literal not terminated");
        break;
      }
      this.next();
      if (ch === until) break;
      if (escapes && ch === 0x5c) this.scanEscape();
    }
    return this.text(off, this.offset);
  }

  private scanEscape(): void {
    const off = this.offset;
    let n: number;
    let base: number;
    let max: number;
    switch (this.ch) {
      case 0x61: // a
      case 0x62: // b
      case 0x66: // f
      case 0x6e: // n
      case 0x72: // r
      case 0x74: // t
      case 0x76: // v
      case 0x5c: // \
      case 0x22: // "
        this.next();
        return;
      case 0x30:
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35:
      case 0x36:
      case 0x37:
        n = 3;
        base = 8;
        max = 255;
        break;
      case 0x78: // x
        this.next();
        n = 2;
        base = 16;
        max = 255;
        break;
      case 0x75: // u
        this.next();
        n = 4;
        base = 16;
        max = 0x10ffff;
        break;
      case 0x55: // U
        this.next();
        n = 8;
        base = 16;
        max = 0x10ffff;
        break;
      default:
        this.error(off, this.c() === EOF_CH ? "escape sequence not terminated" : "unknown escape sequence");
        return;
    }
    let x = 0;
    while (n > 0) {
      const d = digitVal(this.ch);
      if (d >= base) {
        const msg =
          this.c() === EOF_CH
            ? "escape sequence not terminated"
            : `illegal character ${goRuneDescription(this.ch)} in escape sequence`;
        this.error(off, msg);
        return;
      }
      x = x * base + d;
      this.next();
      n--;
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) {
      this.error(off, "escape sequence is invalid Unicode code point");
    }
  }

  private scanComment(): string {
    const off = this.offset - 1; // The first '/' was consumed already.
    let numCR = 0;
    let blockComment = false;
    let terminated = true;
    if (this.c() === 0x2f) {
      // A //-style comment; the final newline is not part of it.
      this.next();
      while (this.c() !== 0x0a && this.c() !== EOF_CH) {
        if (this.c() === 0x0d) numCR++;
        this.next();
      }
    } else {
      blockComment = true;
      terminated = false;
      this.next();
      while (this.c() !== EOF_CH) {
        const ch = this.ch;
        if (ch === 0x0d) numCR++;
        this.next();
        if (ch === 0x2a && this.c() === 0x2f) {
          this.next();
          terminated = true;
          break;
        }
      }
      if (!terminated) this.error(off, "block comment not terminated");
    }

    let lit = this.src.subarray(off, this.offset);
    // On Windows a line comment may end in "\r\n"; drop the final '\r'.
    if (numCR > 0 && lit.length >= 1 && lit[lit.length - 1] === 0x0d) {
      lit = lit.subarray(0, lit.length - 1);
      numCR--;
    }
    if (numCR > 0) lit = stripCR(lit, blockComment);
    return utf8Decode(lit);
  }

  /**
   * Whether the comment starting at the current '/' (already consumed) runs to the end of the line,
   * looking through any further comments on the same line. Restores the scanner state afterwards.
   */
  private findLineEnd(): boolean {
    const start = this.offset - 1;
    const result = this.findLineEndInner();
    this.ch = 0x2f;
    this.offset = start;
    this.readOffset = start + 1;
    this.next(); // Consume the initial '/' again.
    return result;
  }

  private findLineEndInner(): boolean {
    while (this.c() === 0x2f || this.c() === 0x2a) {
      if (this.c() === 0x2f) return true; // A //-style comment always reaches the newline.
      this.next();
      while (this.c() !== EOF_CH) {
        const ch = this.ch;
        if (ch === 0x0a) return true;
        this.next();
        if (ch === 0x2a && this.c() === 0x2f) {
          this.next();
          break;
        }
      }
      this.skipWhitespace(); // insertTerm is set, so newlines stop here.
      if (this.c() === EOF_CH || this.c() === 0x0a) return true;
      if (this.c() !== 0x2f) return false;
      this.next(); // Consume the '/' of a following comment.
    }
    return false;
  }

  private switch2(a: TokenKind, b: TokenKind): TokenKind {
    if (this.c() === 0x3d) {
      this.next();
      return b;
    }
    return a;
  }
}

function stripCR(b: Uint8Array, blockComment: boolean): Uint8Array {
  const c = new Uint8Array(b.length);
  let i = 0;
  for (let j = 0; j < b.length; j++) {
    const ch = b[j];
    if (
      ch !== 0x0d ||
      (blockComment && i > 2 && c[i - 1] === 0x2a && j + 1 < b.length && b[j + 1] === 0x2f)
    ) {
      c[i] = ch ?? 0;
      i++;
    }
  }
  return c.subarray(0, i);
}

/** Whether `text` is a single identifier token (not a keyword), as Alloy requires of block labels. */
export function isValidIdentifier(text: string): boolean {
  const s = new Scanner(utf8Encode(text));
  const t = s.scan();
  return t.tok === "IDENT" && t.lit === text;
}
