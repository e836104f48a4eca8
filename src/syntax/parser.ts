/**
 * The Alloy parser: a port of Alloy's hand-written LL(1) parser (`syntax/parser/internal.go`). It builds the
 * AST with positions and comment groups, and on errors it recovers the way Alloy does (skip to the next
 * identifier or terminator, at most one parser error per line) so one run reports every problem with the
 * same texts and positions as Alloy.
 */
import type {
  ArrayExpr,
  AttributeStmt,
  BinaryOp,
  BlockStmt,
  CallExpr,
  Comment,
  CommentGroup,
  Expr,
  File,
  Ident,
  LiteralToken,
  ObjectExpr,
  ObjectField,
  ParenExpr,
  Statement,
  UnaryOp,
} from "./ast.ts";
import { exprStart } from "./ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { isValidIdentifier, Scanner, SourceFile, utf8Encode, utf8Length } from "./lexer.ts";
import type { Position } from "./position.ts";
import { binaryPrecedence, goQuote, type TokenKind } from "./token.ts";

/** The outcome of parsing a file: the AST (partial when there are diagnostics) and every diagnostic. */
export interface ParseFileResult {
  readonly file: File;
  readonly diagnostics: Diagnostic[];
}

/** The outcome of parsing a single expression. */
export interface ParseExpressionResult {
  readonly expr: Expr | undefined;
  readonly diagnostics: Diagnostic[];
}

interface BlockName {
  readonly fragments: string[];
  label: string;
  start: number;
  labelStart: number | undefined;
  nameEnd: number;
}

const STATEMENT_END: ReadonlySet<TokenKind> = new Set(["TERMINATOR", ")", "}", "]", ","]);

/**
 * The deepest nesting the parser accepts: blocks in blocks, brackets, parentheses, unary operators and chains
 * of binary operators, field accesses, indexes and calls each count one level. Alloy has no limit (Go's stacks
 * grow), but the parser, evaluator and printer here recurse over the AST, so a config nested thousands of
 * levels deep would overflow the JavaScript stack. Real configs nest a handful of levels.
 */
export const MAX_NESTING = 500;

/** The message for input nested deeper than `MAX_NESTING`. */
export const NESTING_MESSAGE = `nesting is too deep: more than ${MAX_NESTING} levels of blocks, brackets or operators`;

/** Thrown by the parser when the input nests deeper than `MAX_NESTING`; parsing stops there. */
class NestingTooDeep extends Error {
  readonly offset: number;

  constructor(offset: number) {
    super(NESTING_MESSAGE);
    this.offset = offset;
  }
}

class Parser {
  readonly source: SourceFile;
  readonly filename: string | undefined;
  readonly diags: Diagnostic[] = [];
  readonly comments: CommentGroup[] = [];
  private readonly scanner: Scanner;

  /** The current token, its literal, and its byte range. */
  tok: TokenKind = "EOF";
  lit = "";
  pos = 0;
  endPos = 0;

  private lastErrorLine = 0;
  /** The current nesting level (see `MAX_NESTING`). */
  private depth = 0;

  constructor(bytes: Uint8Array, filename: string | undefined) {
    this.source = new SourceFile(bytes);
    this.filename = filename;
    this.scanner = new Scanner(
      bytes,
      (offset, message) => {
        this.diags.push(this.diagnostic(this.position(offset), message));
      },
      { includeComments: true },
    );
    this.next();
  }

  /** The current token kind (a method, so checks after `next()` are not narrowed away by the compiler). */
  t(): TokenKind {
    return this.tok;
  }

  position(offset: number): Position {
    return this.source.position(offset);
  }

  diagnostic(start: Position, message: string, end?: Position): Diagnostic {
    return end === undefined
      ? { severity: "error", file: this.filename, start, message }
      : { severity: "error", file: this.filename, start, end, message };
  }

  /** Advances to the next non-comment token, collecting comment groups on the way. */
  next(): void {
    this.next0();
    while (this.t() === "COMMENT") this.consumeCommentGroup();
  }

  private next0(): void {
    const t = this.scanner.scan();
    this.tok = t.tok;
    this.lit = t.lit;
    this.pos = t.offset;
    this.endPos = t.endOffset;
  }

  private consumeCommentGroup(): void {
    const list: Comment[] = [];
    let endline = this.position(this.pos).line;
    while (this.t() === "COMMENT" && this.position(this.pos).line <= endline + 1) {
      endline = this.position(this.pos).line;
      if (this.lit[1] === "*") {
        for (let i = 0; i < this.lit.length; i++) if (this.lit[i] === "\n") endline++;
      }
      // Alloy derives a comment's end from its start and its text (CRs already stripped).
      const start = this.position(this.pos);
      list.push({
        text: this.lit,
        start,
        end: this.position(this.pos + Math.max(utf8Length(this.lit), 1) - 1),
      });
      this.next0();
    }
    this.comments.push({ comments: list });
  }

  private advance(to: TokenKind): void {
    while (this.t() !== "EOF") {
      if (this.t() === to) return;
      this.next();
    }
  }

  private advanceAny(to: ReadonlySet<TokenKind>): void {
    while (this.t() !== "EOF") {
      if (to.has(this.tok)) return;
      this.next();
    }
  }

  /** Consumes the current token, recording an error if it is not `t`. */
  expect(t: TokenKind): { pos: number; tok: TokenKind; lit: string } {
    const r = { pos: this.pos, tok: this.tok, lit: this.lit };
    if (this.t() !== t) this.addError(`expected ${t}, got ${this.tok}`);
    this.next();
    return r;
  }

  /** Records a parser error at the current token, unless one was already recorded on that line. */
  addError(message: string): void {
    const pos = this.position(this.pos);
    if (this.lastErrorLine === pos.line) return;
    this.lastErrorLine = pos.line;
    this.diags.push(this.diagnostic(pos, message));
  }

  /** Goes one nesting level deeper; gives up on the whole input past `MAX_NESTING`. */
  private enter(): void {
    this.depth++;
    if (this.depth > MAX_NESTING) throw new NestingTooDeep(this.pos);
  }

  private leave(levels = 1): void {
    this.depth -= levels;
  }

  /** The diagnostic for input nested too deeply (always recorded, whatever else is on that line). */
  tooDeep(err: NestingTooDeep): void {
    this.diags.push(this.diagnostic(this.position(err.offset), err.message));
  }

  private ident(name: string, offset: number): Ident {
    return {
      name,
      start: this.position(offset),
      end: this.position(offset + Math.max(utf8Length(name), 1) - 1),
    };
  }

  parseFile(): File {
    const body = this.parseBody("EOF");
    return { kind: "File", filename: this.filename ?? "", body, comments: this.comments };
  }

  /** Body = [ Statement { terminator Statement } ], up to (not including) `until`. */
  private parseBody(until: TokenKind): Statement[] {
    this.enter();
    const body: Statement[] = [];
    while (this.t() !== until && this.t() !== "EOF") {
      const stmt = this.parseStatement();
      if (stmt !== undefined) body.push(stmt);
      if (this.t() === until) break;
      if (this.t() !== "TERMINATOR") {
        this.addError(`expected TERMINATOR, got ${this.tok}`);
        this.consumeStatement();
      }
      this.next();
    }
    this.leave();
    return body;
  }

  /** Skips the rest of a statement, up to a terminator outside any open {}, [] or () pair. */
  private consumeStatement(): void {
    let curly = 0;
    let brack = 0;
    let paren = 0;
    while (this.t() !== "EOF") {
      switch (this.tok) {
        case "{":
          curly++;
          break;
        case "}":
          curly--;
          break;
        case "[":
          brack++;
          break;
        case "]":
          brack--;
          break;
        case "(":
          paren++;
          break;
        case ")":
          paren--;
          break;
        default:
          break;
      }
      if (this.t() === "TERMINATOR" && curly <= 0 && brack <= 0 && paren <= 0) return;
      this.next();
    }
  }

  /** Statement = Attribute | Block. */
  private parseStatement(): Statement | undefined {
    const bn = this.parseBlockName();
    if (bn === undefined) {
      this.advance("IDENT");
      return undefined;
    }

    switch (this.tok) {
      case "=": {
        this.next();
        if (bn.fragments.length !== 1) {
          const attrName = bn.fragments.join(".");
          this.diags.push(
            this.diagnostic(
              this.position(bn.start),
              'attribute names may only consist of a single identifier with no "."',
              this.position(bn.start + utf8Length(attrName) - 1),
            ),
          );
        } else if (bn.labelStart !== undefined) {
          this.diags.push(
            this.diagnostic(
              this.position(bn.labelStart),
              "attribute names may not have labels",
              // +1 for the closing quote, which the label value does not include.
              this.position(bn.labelStart + utf8Length(bn.label) + 1),
            ),
          );
        }
        const stmt: AttributeStmt = {
          kind: "Attribute",
          name: this.ident(bn.fragments[0] ?? "", bn.start),
          value: this.parseExpression(),
        };
        return stmt;
      }
      case "{": {
        const lcurly = this.expect("{").pos;
        const body = this.parseBody("}");
        const rcurly = this.expect("}").pos;
        const block: BlockStmt = {
          kind: "Block",
          name: bn.fragments,
          nameStart: this.position(bn.start),
          nameEnd: this.position(bn.nameEnd),
          label: bn.label === "" ? undefined : bn.label,
          labelStart: bn.labelStart === undefined ? undefined : this.position(bn.labelStart),
          lcurly: this.position(lcurly),
          rcurly: this.position(rcurly),
          body,
        };
        return block;
      }
      default:
        if (bn.fragments.length === 1 && bn.label === "") {
          this.addError(`expected attribute assignment or block body, got ${this.tok}`);
        } else {
          this.addError(`expected block body, got ${this.tok}`);
        }
        this.advance("IDENT");
        return undefined;
    }
  }

  /** BlockName = identifier { "." identifier } [ string ]. */
  private parseBlockName(): BlockName | undefined {
    if (this.t() !== "IDENT") {
      this.addError(`expected identifier, got ${this.tok}`);
      return undefined;
    }
    const bn: BlockName = {
      fragments: [this.lit],
      label: "",
      start: this.pos,
      labelStart: undefined,
      nameEnd: this.endPos - 1,
    };
    this.next();

    while (this.t() === ".") {
      this.next();
      if (this.t() !== "IDENT") {
        this.addError(`expected identifier, got ${this.tok}`);
        // Carry on to parse as much as possible, even though the name is malformed.
      }
      bn.fragments.push(this.lit);
      bn.nameEnd = Math.max(this.endPos - 1, this.pos);
      this.next();
    }

    if (this.t() !== "=" && this.t() !== "{") {
      if (this.t() === "STRING") {
        if (this.lit[0] !== '"') {
          this.addError(`expected block label to be a double quoted string, but got ${goQuote(this.lit)}`);
        }
        if (this.endPos - this.pos > 2) {
          bn.label = this.lit.slice(1, -1);
          if (!isValidIdentifier(bn.label)) {
            this.addError(`expected block label to be a valid identifier, but got ${goQuote(bn.label)}`);
          }
        }
        bn.labelStart = this.pos;
      } else {
        this.addError(`expected block label, got ${this.tok}`);
      }
      this.next();
    }
    return bn;
  }

  /** Expression = BinOpExpr. */
  parseExpression(): Expr {
    this.enter();
    const expr = this.parseBinOp(1);
    this.leave();
    return expr;
  }

  /** Left-associative binary operators by precedence climbing; `^` is handled by parsePowExpr. */
  private parseBinOp(inPrec: number): Expr {
    let lhs = this.parsePowExpr();
    // each operator in a chain nests the expression so far one level deeper
    let chain = 0;
    for (;;) {
      const tok = this.tok;
      const pos = this.pos;
      const prec = binaryPrecedence(tok);
      if (prec < inPrec) {
        this.leave(chain);
        return lhs;
      }
      chain++;
      this.enter();
      this.next();
      const rhs = this.parseBinOp(prec + 1);
      lhs = { kind: "Binary", op: tok as BinaryOp, opPos: this.position(pos), left: lhs, right: rhs };
    }
  }

  /** PowExpr = UnaryExpr [ "^" PowExpr ] (right-associative). */
  private parsePowExpr(): Expr {
    const lhs = this.parseUnaryExpr();
    if (this.t() === "^") {
      const pos = this.pos;
      this.enter();
      this.next();
      const right = this.parsePowExpr();
      this.leave();
      return { kind: "Binary", op: "^", opPos: this.position(pos), left: lhs, right };
    }
    return lhs;
  }

  /** UnaryExpr = OperExpr | unary_op UnaryExpr, with postfix access, index and call. */
  private parseUnaryExpr(): Expr {
    if (this.t() === "!" || this.t() === "-") {
      const op = this.tok as UnaryOp;
      const pos = this.pos;
      this.enter();
      this.next();
      const value = this.parseUnaryExpr();
      this.leave();
      return { kind: "Unary", op, opPos: this.position(pos), value };
    }

    let primary = this.parsePrimaryExpr();
    // each access, index or call wraps the expression so far one level deeper
    let chain = 0;
    for (;;) {
      if (this.tok === "." || this.tok === "[" || this.tok === "(") {
        chain++;
        this.enter();
      }
      switch (this.tok) {
        case ".": {
          this.next();
          const name = this.expect("IDENT");
          primary = { kind: "Access", value: primary, name: this.ident(name.lit, name.pos) };
          break;
        }
        case "[": {
          const lbrack = this.expect("[").pos;
          const index = this.parseExpression();
          const rbrack = this.expect("]").pos;
          primary = {
            kind: "Index",
            value: primary,
            index,
            lbrack: this.position(lbrack),
            rbrack: this.position(rbrack),
          };
          break;
        }
        case "(": {
          let args: Expr[] = [];
          const lparen = this.expect("(").pos;
          if (this.t() !== ")") args = this.parseExpressionList(")");
          const rparen = this.expect(")").pos;
          const call: CallExpr = {
            kind: "Call",
            value: primary,
            args,
            lparen: this.position(lparen),
            rparen: this.position(rparen),
          };
          primary = call;
          break;
        }
        case "STRING":
        case "{": {
          // Someone may be assigning a block to an attribute; parse the rest as a block to say so.
          if (this.t() === "STRING") this.next();
          if (this.expect("{").tok !== "{") {
            this.consumeStatement();
            this.leave(chain);
            return primary;
          }
          this.parseBody("}");
          const end = this.expect("}");
          if (end.tok !== "}") {
            this.consumeStatement();
            this.leave(chain);
            return primary;
          }
          this.diags.push(
            this.diagnostic(
              exprStart(primary),
              "cannot use a block as an expression",
              this.position(end.pos),
            ),
          );
          break;
        }
        default:
          this.leave(chain);
          return primary;
      }
    }
  }

  /** PrimaryExpr = literal | identifier | "(" Expression ")" | ArrayExpr | ObjectExpr. */
  private parsePrimaryExpr(): Expr {
    switch (this.tok) {
      case "IDENT": {
        const e: Expr = { kind: "Identifier", ident: this.ident(this.lit, this.pos) };
        this.next();
        return e;
      }
      case "STRING":
      case "NUMBER":
      case "FLOAT":
      case "BOOL":
      case "NULL": {
        const e: Expr = {
          kind: "Literal",
          token: this.tok as LiteralToken,
          raw: this.lit,
          start: this.position(this.pos),
          end: this.position(Math.max(this.endPos - 1, this.pos)),
        };
        this.next();
        return e;
      }
      case "(": {
        const lparen = this.expect("(").pos;
        const inner = this.parseExpression();
        const rparen = this.expect(")").pos;
        const e: ParenExpr = {
          kind: "Paren",
          inner,
          lparen: this.position(lparen),
          rparen: this.position(rparen),
        };
        return e;
      }
      case "[": {
        const lbrack = this.expect("[").pos;
        let elements: Expr[] = [];
        if (this.t() !== "]") elements = this.parseExpressionList("]");
        const rbrack = this.expect("]").pos;
        const e: ArrayExpr = {
          kind: "Array",
          elements,
          lbrack: this.position(lbrack),
          rbrack: this.position(rbrack),
        };
        return e;
      }
      case "{": {
        const lcurly = this.expect("{").pos;
        let fields: ObjectField[] = [];
        // Alloy compares with "]" here (a harmless slip: parseFieldList stops at "}" anyway).
        if (this.t() !== "]") fields = this.parseFieldList("}");
        const rcurly = this.expect("}").pos;
        const e: ObjectExpr = {
          kind: "Object",
          fields,
          lcurly: this.position(lcurly),
          rcurly: this.position(rcurly),
        };
        return e;
      }
      default: {
        this.addError(`expected expression, got ${this.tok}`);
        const p = this.position(this.pos);
        const e: Expr = { kind: "Literal", token: "NULL", raw: "null", start: p, end: p };
        this.advanceAny(STATEMENT_END); // Eat up the rest of the line.
        return e;
      }
    }
  }

  /** ExpressionList = Expression { "," Expression } [ "," ]. */
  private parseExpressionList(until: TokenKind): Expr[] {
    const exprs: Expr[] = [];
    while (this.t() !== until && this.t() !== "EOF") {
      exprs.push(this.parseExpression());
      if (this.t() === until) break;
      if (this.t() !== ",") this.addError("missing ',' in expression list");
      this.next();
    }
    return exprs;
  }

  /** FieldList = Field { "," Field } [ "," ]. */
  private parseFieldList(until: TokenKind): ObjectField[] {
    const fields: ObjectField[] = [];
    while (this.t() !== until && this.t() !== "EOF") {
      fields.push(this.parseField());
      if (this.t() === until) break;
      if (this.t() !== ",") this.addError("missing ',' in field list");
      this.next();
    }
    return fields;
  }

  /** Field = ( string | identifier ) "=" Expression. */
  private parseField(): ObjectField {
    let name: Ident = this.ident("", this.pos);
    let quoted = false;
    if (this.t() === "STRING" || this.t() === "IDENT") {
      name = this.ident(this.lit, this.pos);
      if (this.t() === "STRING" && this.endPos - this.pos > 2) {
        // A quoted key: Alloy strips the quotes but does not unescape the contents.
        name = {
          name: this.lit.slice(1, -1),
          start: this.position(this.pos),
          end: this.position(this.endPos - 1),
        };
        quoted = true;
      }
      this.next();
    } else {
      this.addError(`expected field name (string or identifier), got ${this.tok}`);
      this.advance("=");
    }
    this.expect("=");
    return { name, quoted, value: this.parseExpression() };
  }
}

function toBytes(source: string | Uint8Array): Uint8Array {
  return typeof source === "string" ? utf8Encode(source) : source;
}

/**
 * Parses a whole Alloy file. Every diagnostic carries `file: filename`. A byte source is scanned as UTF-8
 * (invalid bytes give `illegal UTF-8 encoding`); a leading byte-order mark is skipped. The AST is always
 * returned, but it is only meaningful when there are no diagnostics.
 */
export function parseFile(source: string | Uint8Array, filename: string): ParseFileResult {
  const p = new Parser(toBytes(source), filename);
  try {
    const file = p.parseFile();
    return { file, diagnostics: p.diags };
  } catch (err) {
    if (!(err instanceof NestingTooDeep)) throw err;
    p.tooDeep(err);
    const file: File = { kind: "File", filename, body: [], comments: p.comments };
    return { file, diagnostics: p.diags };
  }
}

/**
 * Parses a single expression. Unlike Alloy's entry point, anything after the expression (other than one
 * final newline or comments) is an error, so `1 2` and `1\n2` are both rejected.
 */
export function parseExpression(source: string, filename?: string): ParseExpressionResult {
  const p = new Parser(toBytes(source), filename);
  let expr: Expr;
  try {
    expr = p.parseExpression();
  } catch (err) {
    if (!(err instanceof NestingTooDeep)) throw err;
    p.tooDeep(err);
    return { expr: undefined, diagnostics: p.diags };
  }
  if (p.t() === "TERMINATOR") {
    p.next();
    if (p.t() !== "EOF") p.addError(`expected EOF, got ${p.tok}`);
  } else if (p.t() !== "EOF") {
    p.expect("TERMINATOR");
  }
  return p.diags.length > 0 ? { expr: undefined, diagnostics: p.diags } : { expr, diagnostics: p.diags };
}
