/**
 * `profile-relay/syntax`: the Alloy configuration language as a library. Parse and format files the way
 * `alloy fmt` does, evaluate expressions to plain JS data, and decode blocks against argument schemas, with
 * Alloy's diagnostics (`file:line:col: message`) throughout.
 *
 * ```ts
 * import { evaluateExpression, format, parse } from "profile-relay/syntax";
 * evaluateExpression('string.format("%s-%d", env, 3)', { env: "prod" }); // "prod-3"
 * format("a   =  1\n");                                               // "a = 1\n"
 * const { file, diagnostics } = parse(source, "config.alloy");
 * ```
 */
import { fromPlain, type Plain, toPlain } from "./convert.ts";
import { DiagnosticsError } from "./diagnostics.ts";
import { evaluate, isStackOverflow, tooDeepDiagnostic } from "./evaluator.ts";
import { parseExpression } from "./parser.ts";
import type { Value } from "./value.ts";

export type {
  ArrayExpr,
  AttributeStmt,
  BlockStmt,
  CallExpr,
  Comment,
  CommentGroup,
  Expr,
  File,
  Ident,
  IdentifierExpr,
  LiteralExpr,
  ObjectExpr,
  Statement,
} from "./ast.ts";
export { ConversionError, fromPlain, type Plain, toPlain, valuesEqual } from "./convert.ts";
export { type DecodeContext, type DecodeResult, decodeBody } from "./decode.ts";
export { printDiagnostics } from "./diagnostic-printer.ts";
export { type Diagnostic, DiagnosticsError, diagnosticOneLine, type Severity } from "./diagnostics.ts";
export { type EvalOptions, evaluate } from "./evaluator.ts";
export { ArgumentError, FunctionError } from "./function-errors.ts";
export { parseExpression, parseFile, parseFile as parse } from "./parser.ts";
export type { Position, Range } from "./position.ts";
export { format, printExpression } from "./printer.ts";
export {
  attr,
  type BodySchema,
  block,
  blocks,
  body,
  type Infer,
  type InferFields,
  t,
  type ValidationIssue,
  type ValueType,
} from "./schema.ts";
export {
  AlloyFunction,
  AlloyNumber,
  Capsule,
  type NumberKind,
  type ObjectValue,
  OptionalSecret,
  Secret,
  type TypeName,
  typeOf,
  type Value,
} from "./value.ts";

/** Options for `evaluateExpression`. */
export interface EvaluateExpressionOptions {
  /** Allow experimental stdlib functions (`array.combine_maps`, `array.group_by`). */
  readonly allowExperimental?: boolean;
}

/**
 * Evaluates one Alloy expression and returns its value as plain JS data: numbers (bigints for integers
 * outside the safe range), strings, booleans, null, arrays, plain objects, `Secret`s, capsules and functions.
 * `scope` names values the expression can refer to, given as plain data (nested objects make dotted names:
 * `{ pyroscope: { write: { default: { receiver } } } }`). Throws `DiagnosticsError` when the expression does
 * not parse or fails to evaluate.
 */
export function evaluateExpression(
  source: string,
  scope: Readonly<Record<string, unknown>> = {},
  options: EvaluateExpressionOptions = {},
): Plain {
  const { expr, diagnostics } = parseExpression(source);
  if (expr === undefined) throw new DiagnosticsError(diagnostics);
  const names = new Map<string, Value>();
  for (const [name, value] of Object.entries(scope)) names.set(name, fromPlain(value));
  const value = evaluate(expr, names, { allowExperimental: options.allowExperimental });
  try {
    return toPlain(value);
  } catch (err) {
    if (isStackOverflow(err)) throw new DiagnosticsError([tooDeepDiagnostic(expr, undefined)]);
    throw err;
  }
}
