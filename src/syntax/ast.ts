/**
 * The abstract syntax tree of an Alloy configuration file. Every node keeps the positions of its tokens so
 * diagnostics can point at it and the formatter can put comments back where they were.
 */
import type { Position } from "./position.ts";

/** `// ...` or `/* ... *\/`, with its delimiters. */
export interface Comment {
  readonly text: string;
  readonly start: Position;
  readonly end: Position;
}

/** Comments with no blank line or code between them. */
export interface CommentGroup {
  readonly comments: readonly Comment[];
}

export interface Ident {
  readonly name: string;
  readonly start: Position;
  /** Inclusive: the last byte of the identifier. */
  readonly end: Position;
}

export interface File {
  readonly kind: "File";
  readonly filename: string;
  readonly body: readonly Statement[];
  /** Every comment in the file, in source order. */
  readonly comments: readonly CommentGroup[];
}

export type Statement = AttributeStmt | BlockStmt;

/** `name = value` */
export interface AttributeStmt {
  readonly kind: "Attribute";
  readonly name: Ident;
  readonly value: Expr;
}

/** `a.b.c "label" { body }` */
export interface BlockStmt {
  readonly kind: "Block";
  /** The dotted name's fragments, e.g. `["pyroscope", "write"]`. */
  readonly name: readonly string[];
  readonly nameStart: Position;
  readonly nameEnd: Position;
  /** The label's contents, without quotes; `undefined` when there is none (an empty label `""` is none). */
  readonly label: string | undefined;
  readonly labelStart: Position | undefined;
  readonly lcurly: Position;
  readonly rcurly: Position;
  readonly body: readonly Statement[];
}

export type Expr =
  | LiteralExpr
  | IdentifierExpr
  | ArrayExpr
  | ObjectExpr
  | AccessExpr
  | IndexExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | ParenExpr;

export type LiteralToken = "NUMBER" | "FLOAT" | "STRING" | "BOOL" | "NULL";

/** A literal exactly as written: `raw` is the source text (strings keep their quotes or backticks). */
export interface LiteralExpr {
  readonly kind: "Literal";
  readonly token: LiteralToken;
  readonly raw: string;
  readonly start: Position;
  readonly end: Position;
}

export interface IdentifierExpr {
  readonly kind: "Identifier";
  readonly ident: Ident;
}

export interface ArrayExpr {
  readonly kind: "Array";
  readonly elements: readonly Expr[];
  readonly lbrack: Position;
  readonly rbrack: Position;
}

export interface ObjectField {
  /**
   * The key. For a quoted key this is the raw text between the quotes, not unescaped, as in Alloy: the key
   * of `{ "a\nb" = 1 }` is four characters with a backslash, not a newline. A key written `""` keeps its
   * two quote characters and is not `quoted`.
   */
  readonly name: Ident;
  /** True when the key was written as a string (`"app.kubernetes.io/name" = ...`). */
  readonly quoted: boolean;
  readonly value: Expr;
}

export interface ObjectExpr {
  readonly kind: "Object";
  readonly fields: readonly ObjectField[];
  readonly lcurly: Position;
  readonly rcurly: Position;
}

/** `value.name` */
export interface AccessExpr {
  readonly kind: "Access";
  readonly value: Expr;
  readonly name: Ident;
}

/** `value[index]` */
export interface IndexExpr {
  readonly kind: "Index";
  readonly value: Expr;
  readonly index: Expr;
  readonly lbrack: Position;
  readonly rbrack: Position;
}

/** `value(args...)` */
export interface CallExpr {
  readonly kind: "Call";
  readonly value: Expr;
  readonly args: readonly Expr[];
  readonly lparen: Position;
  readonly rparen: Position;
}

export type UnaryOp = "!" | "-";

export interface UnaryExpr {
  readonly kind: "Unary";
  readonly op: UnaryOp;
  readonly opPos: Position;
  readonly value: Expr;
}

export type BinaryOp =
  | "||"
  | "&&"
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
  | "^";

export interface BinaryExpr {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly opPos: Position;
  readonly left: Expr;
  readonly right: Expr;
}

/** `(inner)` */
export interface ParenExpr {
  readonly kind: "Paren";
  readonly inner: Expr;
  readonly lparen: Position;
  readonly rparen: Position;
}

/** The first byte of an expression. */
export function exprStart(e: Expr): Position {
  switch (e.kind) {
    case "Literal":
      return e.start;
    case "Identifier":
      return e.ident.start;
    case "Array":
      return e.lbrack;
    case "Object":
      return e.lcurly;
    case "Access":
    case "Index":
    case "Call":
      return exprStart(e.value);
    case "Unary":
      return e.opPos;
    case "Binary":
      return exprStart(e.left);
    case "Paren":
      return e.lparen;
  }
}

/** The last byte of an expression (inclusive). */
export function exprEnd(e: Expr): Position {
  switch (e.kind) {
    case "Literal":
      return e.end;
    case "Identifier":
      return e.ident.end;
    case "Array":
      return e.rbrack;
    case "Object":
      return e.rcurly;
    case "Access":
      return e.name.end;
    case "Index":
      return e.rbrack;
    case "Call":
      return e.rparen;
    case "Unary":
      return exprEnd(e.value);
    case "Binary":
      return exprEnd(e.right);
    case "Paren":
      return e.rparen;
  }
}

/** The first byte of a statement. */
export function statementStart(s: Statement): Position {
  return s.kind === "Attribute" ? s.name.start : s.nameStart;
}

/** The last byte of a statement (inclusive). */
export function statementEnd(s: Statement): Position {
  return s.kind === "Attribute" ? exprEnd(s.value) : s.rcurly;
}

/** A block's dotted name, e.g. `pyroscope.write`. */
export function blockName(b: BlockStmt): string {
  return b.name.join(".");
}
