/**
 * The Alloy formatter: a port of Alloy's `syntax/printer` (printer, walker, trimmer) and of the parts of Go's
 * `text/tabwriter` it relies on, so `format` gives byte-for-byte the output of `alloy fmt`, and
 * `printExpression` the expression text Alloy puts in evaluation errors.
 */
import type { BlockStmt, Expr, File, ObjectExpr, Statement } from "./ast.ts";
import { exprEnd, exprStart, statementEnd, statementStart } from "./ast.ts";
import { DiagnosticsError, hasErrors } from "./diagnostics.ts";
import { utf8Length } from "./lexer.ts";
import { parseFile } from "./parser.ts";
import type { Position } from "./position.ts";
import { goQuote, type TokenKind } from "./token.ts";

/**
 * Marks text the tabwriter must not interpret (Go uses the byte 0xff). A lone low surrogate cannot occur in
 * text decoded from valid UTF-8, and files that are not valid UTF-8 never reach the printer.
 */
const ESCAPE = "\udfff";

/** Whitespace instructions buffered by the printer (Go's `whitespace` bytes). */
type Ws = "ignore" | " " | "\v" | "\n" | "\f" | ">" | "<";

const WS_CAPACITY = 16;
const MAX_NEWLINES = 2;

interface MutablePosition {
  offset: number;
  line: number;
  column: number;
}

function copyPos(p: Position): MutablePosition {
  return { offset: p.offset, line: p.line, column: p.column };
}

function isValid(p: Position): boolean {
  return p.line > 0;
}

/** The last token written, for deciding whether two tokens would merge when re-scanned. */
type LastToken = TokenKind | "LITERAL";

interface PrintComment {
  readonly text: string;
  readonly start: Position;
  readonly end: Position;
}

/** Writes tokens and whitespace to a buffer that is then aligned by the tabwriter (see Go's printer). */
class Printer {
  output: string[] = [];
  private indent = 0;
  private lastTok: LastToken = "ILLEGAL";
  private whitespace: Ws[] = [];

  private comments: (readonly PrintComment[])[] = [];
  private commentIdx = 0;
  private curComments: readonly PrintComment[] = [];
  private commentPos: Position | undefined;

  private pos: MutablePosition = { offset: 0, line: 1, column: 1 };
  private last: MutablePosition = { offset: 0, line: 0, column: 0 };
  private out: MutablePosition = { offset: 0, line: 1, column: 1 };
  private outputLength = 0;

  setComments(groups: readonly (readonly PrintComment[])[]): void {
    this.comments = groups.slice();
    this.commentIdx = 0;
    this.commentPos = undefined;
    this.nextComment();
  }

  private nextComment(): void {
    while (this.commentIdx < this.comments.length) {
      const c = this.comments[this.commentIdx] ?? [];
      this.commentIdx++;
      const first = c[0];
      if (first !== undefined) {
        this.curComments = c;
        this.commentPos = first.start;
        return;
      }
    }
    this.commentPos = undefined;
  }

  private commentBefore(next: Position): boolean {
    return this.commentPos !== undefined && this.commentPos.offset <= next.offset;
  }

  // --- Write(...) arguments, one method per argument type ---

  ws(...items: Ws[]): void {
    for (const w of items) {
      if (w === "ignore") continue;
      let i = this.whitespace.length;
      if (i === WS_CAPACITY) {
        this.writeWhitespace(i);
        i = 0;
      }
      this.whitespace.length = i + 1;
      this.whitespace[i] = w;
      this.lastTok = "LITERAL";
    }
  }

  /** Moves the AST-space position to a node's real position (Go's `token.Pos` argument). */
  at(p: Position | undefined): void {
    if (p !== undefined && isValid(p)) this.pos = copyPos(p);
  }

  ident(name: string): void {
    this.lastTok = "IDENT";
    this.emit(name);
  }

  literal(tok: TokenKind, raw: string): void {
    this.lastTok = tok;
    this.emit(raw);
  }

  token(tok: TokenKind): void {
    if (mayCombine(this.lastTok, tok[0] ?? "")) {
      this.whitespace.length = 0;
      this.whitespace.push(" ");
    }
    this.lastTok = tok;
    this.emit(tok);
  }

  private emit(data: string): void {
    const next = { ...this.pos };
    this.flush(next, this.lastTok);
    this.writeString(next, data, false);
  }

  /** Prints pending comments and whitespace that come before `next` (the final call passes EOF). */
  flush(next: Position, tok: LastToken): void {
    if (this.commentBefore(next)) {
      this.injectComments(next, tok);
    } else if (tok !== "EOF") {
      this.writeWhitespace(this.whitespace.length);
    }
  }

  private injectComments(next: Position, tok: LastToken): void {
    let lastComment: PrintComment | undefined;
    while (this.commentBefore(next)) {
      for (const c of this.curComments) {
        this.writeCommentPrefix(next, c);
        this.writeString(c.start, c.text, true);
        lastComment = c;
      }
      this.nextComment();
    }
    if (lastComment !== undefined) this.writeCommentSuffix(next, tok, lastComment);
  }

  private writeCommentPrefix(next: Position, c: PrintComment): void {
    if (this.outputLength === 0) return; // Nothing before the first comment of the output.
    const cPos = c.start;
    if (cPos.line === this.last.line) {
      // Same line as the last token: a tab, or a space when the next token follows on this line too.
      this.writeByte(cPos.line === next.line ? " " : "\t", 1);
      return;
    }
    // A different line: first write pending whitespace up to the first newline.
    let wsCount = 0;
    for (let i = 0; i < this.whitespace.length; i++) {
      const w = this.whitespace[i];
      if (w === ">" || w === "<") continue;
      if (w === " " || w === "\v" || w === "\n" || w === "\f") this.whitespace[i] = "ignore";
      wsCount = i;
      break;
    }
    this.writeWhitespace(wsCount);
    let newlines = 0;
    if (isValid(cPos) && isValid(this.last)) newlines = cPos.line - this.last.line;
    if (newlines > 0) this.writeByte("\f", Math.min(newlines, MAX_NEWLINES));
  }

  private writeCommentSuffix(next: Position, tok: LastToken, lastComment: PrintComment): void {
    if (tok === "EOF") return; // No blank lines at the end of the file.
    let droppedFF = false;
    if (lastComment.text[1] === "*" && next.line === lastComment.end.line) this.writeByte(" ", 1);
    const newlines = next.line - this.last.line;
    for (let i = 0; i < this.whitespace.length; i++) {
      const w = this.whitespace[i];
      if (w === " " || w === "\v") this.whitespace[i] = "ignore";
      else if (w === "\n" || w === "\f") {
        if (w === "\f") droppedFF = true;
        this.whitespace[i] = "ignore";
      }
    }
    this.writeWhitespace(this.whitespace.length);
    if (newlines > 0) this.writeByte(droppedFF ? "\f" : "\n", Math.min(newlines, MAX_NEWLINES));
  }

  private writeString(pos: Position, s: string, isLit: boolean): void {
    if (this.out.column === 1) this.writeIndent();
    if (isValid(pos)) this.pos = copyPos(pos);
    if (isLit) this.push(ESCAPE);
    this.push(s);
    if (isLit) this.push(ESCAPE);

    const len = utf8Length(s);
    let newlines = 0;
    let afterLastNewline = 0; // Bytes after the last newline.
    let bytes = 0;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (ch === "\n" || ch === "\f") {
        newlines++;
        bytes = 0;
      } else {
        bytes += utf8Length(ch ?? "");
      }
    }
    afterLastNewline = bytes;
    this.pos.offset += len;
    if (newlines > 0) {
      this.pos.line += newlines;
      this.out.line += newlines;
      // Go: len(s) - lastNewlineIdx, i.e. one more than the bytes after the last newline.
      this.pos.column = afterLastNewline + 1;
      this.out.column = afterLastNewline + 1;
    } else {
      this.pos.column += len;
      this.out.column += len;
    }
    this.last = { ...this.pos };
  }

  private push(s: string): void {
    this.output.push(s);
    this.outputLength += s.length;
  }

  private writeIndent(): void {
    const depth = this.indent;
    for (let i = 0; i < depth; i++) this.push("\t");
    this.pos.offset += depth;
    this.pos.column += depth;
    this.out.column += depth;
  }

  private writeByte(ch: string, n: number): void {
    if (this.out.column === 1) this.writeIndent();
    for (let i = 0; i < n; i++) this.push(ch);
    this.pos.offset += n;
    if (ch === "\n" || ch === "\f") {
      this.pos.line += n;
      this.out.line += n;
      this.pos.column = 1;
      this.out.column = 1;
      return;
    }
    this.pos.column += n;
    this.out.column += n;
  }

  private writeWhitespace(n: number): void {
    for (let i = 0; i < n; i++) {
      const w = this.whitespace[i];
      switch (w) {
        case "ignore":
        case undefined:
          break;
        case ">":
          this.indent++;
          break;
        case "<":
          this.indent--;
          if (this.indent < 0) throw new Error("printer: negative indentation");
          break;
        default:
          this.writeByte(w, 1);
      }
    }
    this.whitespace = this.whitespace.slice(n);
  }
}

/** Whether the previous token and the next text would scan as one token (`1` `.` → `1.`, `/` `*`). */
function mayCombine(prev: LastToken, next: string): boolean {
  if (prev === "NUMBER") return next === ".";
  if (prev === "/") return next === "*";
  return false;
}

// --- The walker: sends an AST's tokens and formatting to the printer (Go's walker.go) ---

function differentLines(a: Position, b: Position): boolean {
  return a.line !== b.line;
}

function nodeLines(start: Position, end: Position): number {
  return end.line - start.line + 1;
}

class Walker {
  readonly p: Printer;

  constructor(p: Printer) {
    this.p = p;
  }

  walkFile(f: File): void {
    this.p.setComments(f.comments.map((g) => g.comments));
    this.walkStmts(f.body);
  }

  walkStmts(ss: readonly Statement[]): void {
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i] as Statement;
      let addedSpacing = false;
      // Two blocks are always separated by a blank line.
      if (i > 0 && s.kind === "Block") {
        this.p.ws("\f");
        addedSpacing = true;
      }
      // Keep a blank line that separates two statements in the source.
      const prev = ss[i - 1];
      if (i > 0 && !addedSpacing && prev !== undefined) {
        if (statementStart(s).line - statementEnd(prev).line > 1) this.p.ws("\f");
      }
      this.walkStmt(s);
      // A statement over several lines ends its alignment run.
      this.p.ws(nodeLines(statementStart(s), statementEnd(s)) > 1 ? "\f" : "\n");
    }
  }

  walkStmt(s: Statement): void {
    if (s.kind === "Attribute") {
      this.p.at(s.name.start);
      this.p.ident(s.name.name);
      this.p.ws("\v");
      this.p.token("=");
      this.p.ws(" ");
      this.walkExpr(s.value);
    } else {
      this.walkBlock(s);
    }
  }

  private walkBlock(s: BlockStmt): void {
    this.p.at(s.nameStart);
    this.p.ident(s.name.join("."));
    if (s.label !== undefined && s.label !== "") {
      this.p.ws(" ");
      this.p.at(s.labelStart);
      this.p.literal("STRING", goQuote(s.label));
    }
    this.p.ws(" ");
    this.p.at(s.lcurly);
    this.p.token("{");
    this.p.ws(">");
    if (s.body.length > 0) {
      this.p.ws("\f");
      this.walkStmts(s.body);
    } else {
      this.p.ws(" ");
    }
    this.p.ws("<");
    this.p.at(s.rcurly);
    this.p.token("}");
  }

  walkExpr(e: Expr): void {
    switch (e.kind) {
      case "Literal":
        this.p.at(e.start);
        this.p.literal(e.token, e.raw);
        break;
      case "Array":
        this.walkArray(e.elements, e.lbrack, e.rbrack);
        break;
      case "Object":
        this.walkObject(e);
        break;
      case "Identifier":
        this.p.at(e.ident.start);
        this.p.ident(e.ident.name);
        break;
      case "Access":
        this.walkExpr(e.value);
        this.p.token(".");
        this.p.ident(e.name.name);
        break;
      case "Index":
        this.walkExpr(e.value);
        this.p.at(e.lbrack);
        this.p.token("[");
        this.walkExpr(e.index);
        this.p.at(e.rbrack);
        this.p.token("]");
        break;
      case "Call":
        this.walkCall(e.value, e.args, e.lparen, e.rparen);
        break;
      case "Unary":
        this.p.at(e.opPos);
        this.p.token(e.op);
        this.walkExpr(e.value);
        break;
      case "Binary":
        this.walkExpr(e.left);
        this.p.ws(" ");
        this.p.at(e.opPos);
        this.p.token(e.op);
        this.p.ws(" ");
        this.walkExpr(e.right);
        break;
      case "Paren":
        this.p.token("(");
        this.walkExpr(e.inner);
        this.p.token(")");
        break;
    }
  }

  private walkArray(elements: readonly Expr[], lbrack: Position, rbrack: Position): void {
    this.p.at(lbrack);
    this.p.token("[");
    let prevPos = lbrack;
    for (let i = 0; i < elements.length; i++) {
      const el = elements[i] as Expr;
      let addedNewline = false;
      if (differentLines(prevPos, exprStart(el))) {
        // Indent before the newline so comments written before the newline are indented too.
        this.p.ws(">", "\f");
        addedNewline = true;
      } else if (i > 0) {
        this.p.ws(" ");
      }
      prevPos = exprEnd(el);
      this.walkExpr(el);
      if (i + 1 < elements.length) this.p.token(",");
      if (addedNewline) this.p.ws("<");
    }
    let addedSuffixNewline = false;
    if (elements.length > 0 && differentLines(prevPos, rbrack)) {
      this.p.token(",");
      this.p.ws(">", "\f");
      addedSuffixNewline = true;
    }
    if (addedSuffixNewline) this.p.ws("<");
    this.p.at(rbrack);
    this.p.token("]");
  }

  private walkObject(e: ObjectExpr): void {
    this.p.at(e.lcurly);
    this.p.token("{");
    this.p.ws(">");
    let prevPos = e.lcurly;
    for (let i = 0; i < e.fields.length; i++) {
      const field = e.fields[i];
      if (field === undefined) continue;
      if (differentLines(prevPos, field.name.start)) {
        // Align the `=` with the previous field if that one fit on one line.
        const prev = e.fields[i - 1];
        if (i > 0 && prev !== undefined && nodeLines(exprStart(prev.value), exprEnd(prev.value)) === 1) {
          this.p.ws("\n");
        } else {
          this.p.ws("\f");
        }
      } else if (i > 0) {
        this.p.ws(" ");
      }
      prevPos = field.name.end;
      this.p.at(field.name.start);
      if (field.quoted) {
        this.p.literal("STRING", goQuote(field.name.name));
      } else {
        this.p.ident(field.name.name);
      }
      this.p.ws("\v");
      this.p.token("=");
      this.p.ws(" ");
      this.walkExpr(field.value);
      if (i + 1 < e.fields.length) this.p.token(",");
    }
    if (e.fields.length > 0 && differentLines(prevPos, e.rcurly)) {
      this.p.token(",");
      this.p.ws("\f");
    }
    this.p.ws("<");
    this.p.at(e.rcurly);
    this.p.token("}");
  }

  private walkCall(callee: Expr, args: readonly Expr[], lparen: Position, rparen: Position): void {
    this.walkExpr(callee);
    this.p.token("(");
    let prevPos = lparen;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as Expr;
      let addedNewline = false;
      if (differentLines(prevPos, exprStart(arg))) {
        this.p.ws("\f", ">");
        addedNewline = true;
      }
      this.walkExpr(arg);
      prevPos = exprEnd(arg);
      if (i + 1 < args.length) {
        this.p.token(",");
        this.p.ws(" ");
      }
      if (addedNewline) this.p.ws("<");
    }
    if (differentLines(prevPos, rparen)) {
      this.p.token(",");
      this.p.ws("\f");
    }
    this.p.token(")");
  }
}

// --- Go's text/tabwriter (minwidth 0, tabwidth 8, padding 1, padchar ' ', DiscardEmptyColumns|TabIndent) ---

interface Cell {
  size: number;
  width: number;
  htab: boolean;
}

const TAB_WIDTH = 8;
const PADDING = 1;

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

class TabWriter {
  private readonly out: (s: string) => void;
  private buf = "";
  /** Text appended since the width was last updated (slicing it off `buf` would copy `buf` every time). */
  private unmeasured = "";
  private cell: Cell = { size: 0, width: 0, htab: false };
  private inEscape = false;
  private lines: Cell[][] = [[]];
  private widths: number[] = [];

  constructor(out: (s: string) => void) {
    this.out = out;
  }

  private reset(): void {
    this.buf = "";
    this.unmeasured = "";
    this.cell = { size: 0, width: 0, htab: false };
    this.inEscape = false;
    this.lines = [[]];
    this.widths = [];
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (useTabs) {
      const w = Math.ceil(cellw / TAB_WIDTH) * TAB_WIDTH;
      const n = w - textw;
      this.out("\t".repeat(Math.ceil(n / TAB_WIDTH)));
      return;
    }
    this.out(" ".repeat(cellw - textw));
  }

  private writeLines(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] ?? [];
      let useTabs = true; // TabIndent: pad leading empty cells with tabs.
      for (let j = 0; j < line.length; j++) {
        const c = line[j] as Cell;
        if (c.size === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j] ?? 0, useTabs);
        } else {
          useTabs = false;
          this.out(this.buf.slice(pos, pos + c.size));
          pos += c.size;
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j] ?? 0, false);
        }
      }
      if (i + 1 === this.lines.length) {
        // The last buffered line has no newline: write any outstanding text.
        this.out(this.buf.slice(pos, pos + this.cell.size));
        pos += this.cell.size;
      } else {
        this.out("\n");
      }
    }
    return pos;
  }

  private format(pos0: number, line0In: number, line1: number): number {
    let pos = pos0;
    let line0 = line0In;
    const column = this.widths.length;
    for (let current = line0; current < line1; current++) {
      let line = this.lines[current] ?? [];
      if (column >= line.length - 1) continue;
      // This line has a cell in this column: format the block of lines that do.
      pos = this.writeLines(pos, line0, current);
      line0 = current;
      let width = 0; // minwidth
      let discardable = true;
      for (; current < line1; current++) {
        line = this.lines[current] ?? [];
        if (column >= line.length - 1) break;
        const c = line[column] as Cell;
        const w = c.width + PADDING;
        if (w > width) width = w;
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable) width = 0; // DiscardEmptyColumns
      this.widths.push(width);
      pos = this.format(pos, line0, current);
      this.widths.pop();
      line0 = current;
    }
    return this.writeLines(pos, line0, line1);
  }

  private append(text: string): void {
    this.buf += text;
    this.unmeasured += text;
    this.cell.size += text.length;
  }

  private updateWidth(): void {
    this.cell.width += runeCount(this.unmeasured);
    this.unmeasured = "";
  }

  private terminateCell(htab: boolean): number {
    this.cell.htab = htab;
    const line = this.lines[this.lines.length - 1] as Cell[];
    line.push(this.cell);
    this.cell = { size: 0, width: 0, htab: false };
    return line.length;
  }

  flush(): void {
    if (this.cell.size > 0) {
      if (this.inEscape) this.endEscape();
      this.terminateCell(false);
    }
    this.format(0, 0, this.lines.length);
    this.reset();
  }

  private endEscape(): void {
    this.updateWidth();
    this.cell.width -= 2; // The Escape characters do not count.
    this.inEscape = false;
  }

  write(text: string): void {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (!this.inEscape) {
        if (ch === "\t" || ch === "\v" || ch === "\n" || ch === "\f") {
          this.append(text.slice(n, i));
          this.updateWidth();
          n = i + 1;
          const ncells = this.terminateCell(ch === "\t");
          if (ch === "\n" || ch === "\f") {
            this.lines.push([]);
            if (ch === "\f" || ncells === 1) this.flush();
          }
        } else if (ch === ESCAPE) {
          this.append(text.slice(n, i));
          this.updateWidth();
          n = i;
          this.inEscape = true;
        }
      } else if (ch === ESCAPE) {
        this.append(text.slice(n, i + 1));
        n = i + 1;
        this.endEscape();
      }
    }
    this.append(text.slice(n));
  }
}

// --- The trimmer: drops Escape marks and trailing blanks, turns \f and \v into \n and \t ---

class Trimmer {
  private readonly out: string[] = [];
  private state: "space" | "escape" | "text" = "space";
  private space = "";

  write(data: string): void {
    let textStart = 0;
    for (let off = 0; off < data.length; off++) {
      let b = data[off];
      if (b === "\v") b = "\t";
      switch (this.state) {
        case "space":
          if (b === "\t" || b === " ") {
            this.space += b;
          } else if (b === "\n" || b === "\f") {
            this.space = "";
            this.out.push("\n");
          } else if (b === ESCAPE) {
            this.out.push(this.space);
            this.state = "escape";
            textStart = off + 1;
          } else {
            this.out.push(this.space);
            this.state = "text";
            textStart = off;
          }
          break;
        case "text":
          if (b === "\t" || b === " ") {
            this.out.push(data.slice(textStart, off));
            this.state = "space";
            this.space = b;
          } else if (b === "\n" || b === "\f") {
            this.out.push(data.slice(textStart, off));
            this.state = "space";
            this.space = "";
            this.out.push("\n");
          } else if (b === ESCAPE) {
            this.out.push(data.slice(textStart, off));
            this.state = "escape";
            textStart = off + 1;
          }
          break;
        case "escape":
          if (b === ESCAPE) {
            this.out.push(data.slice(textStart, off));
            this.state = "space";
            this.space = "";
          }
          break;
      }
    }
    if (this.state === "escape" || this.state === "text") {
      this.out.push(data.slice(textStart));
      this.state = "space";
      this.space = "";
    }
  }

  result(): string {
    return this.out.join("");
  }
}

const FAR_AWAY: Position = {
  offset: Number.MAX_SAFE_INTEGER,
  line: Number.MAX_SAFE_INTEGER,
  column: Number.MAX_SAFE_INTEGER,
};

/** Go's `printer.Fprint` for a file, statement or expression: the canonical text, without a final newline. */
function fprint(node: { file: File } | { stmt: Statement } | { expr: Expr }): string {
  const p = new Printer();
  const w = new Walker(p);
  if ("file" in node) w.walkFile(node.file);
  else if ("stmt" in node) w.walkStmt(node.stmt);
  else w.walkExpr(node.expr);
  p.flush(FAR_AWAY, "EOF"); // Writes trailing comments.

  const trimmer = new Trimmer();
  const tw = new TabWriter((s) => trimmer.write(s));
  // Go hands the whole buffer to the tabwriter in one Write call.
  tw.write(p.output.join(""));
  tw.flush();
  return trimmer.result();
}

/**
 * The canonical text of an expression as Alloy's printer writes it, used at the start of evaluation error
 * messages (`key_value.object.field1[2] should be number, got string`). Line breaks written inside lists,
 * objects and calls are kept.
 */
export function printExpression(expr: Expr): string {
  return fprint({ expr });
}

/** The canonical text of one statement (an attribute or a whole block), without a final newline. */
export function printStatement(stmt: Statement): string {
  return fprint({ stmt });
}

/** The canonical text of a parsed file plus one trailing newline, exactly as `alloy fmt` writes it. */
export function printFile(file: File): string {
  return `${fprint({ file })}\n`;
}

/**
 * Formats Alloy source the way `alloy fmt` does: canonical text with one trailing newline, comments kept.
 * Throws `DiagnosticsError` with every parse diagnostic when the source does not parse (diagnostics name
 * `filename`, or no file when it is omitted).
 */
export function format(source: string | Uint8Array, filename = ""): string {
  const { file, diagnostics } = parseFile(source, filename);
  if (diagnostics.length > 0 && hasErrors(diagnostics)) throw new DiagnosticsError(diagnostics);
  return printFile(file);
}
