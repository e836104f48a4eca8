/**
 * The expression evaluator: turns an expression AST into an Alloy value, looking names up in the scope and
 * then in the standard library. Errors are diagnostics composed as Alloy composes them: the source text of
 * the expression that produced the bad value, any path into that value, then the reason
 * (`key_value.object.field1[2] should be number, got string`), positioned on that expression.
 */
import { type Expr, exprEnd, exprStart, type LiteralExpr } from "./ast.ts";
import { ConversionError, formatPath, type PathStep } from "./convert.ts";
import { type Diagnostic, DiagnosticsError } from "./diagnostics.ts";
import { ArgumentError, FunctionError } from "./function-errors.ts";
import { binaryOp, OperatorError, unaryOp } from "./operators.ts";
import type { Position } from "./position.ts";
import { printExpression } from "./printer.ts";
import { DEPRECATED_FUNCTIONS, EXPERIMENTAL_FUNCTIONS, stdlib } from "./stdlib/index.ts";
import { AlloyFunction, AlloyNumber, type ObjectValue, typeOf, type Value } from "./value.ts";

/** How an expression is evaluated. */
export interface EvalOptions {
  /** The file the expression is in, carried into every diagnostic. */
  readonly file?: string | undefined;
  /** Whether experimental stdlib functions (`array.combine_maps`, `array.group_by`) may be referenced. */
  readonly allowExperimental?: boolean | undefined;
  /** The configured minimum stability level, named in the error for an experimental function. */
  readonly minStability?: string | undefined;
  /** Receives a warning diagnostic for every reference to a deprecated stdlib alias (`env`, `concat`, ...). */
  readonly warnings?: Diagnostic[] | undefined;
  /**
   * Set when the caller has already checked stdlib references (deprecated aliases, experimental functions)
   * itself, as the runtime does while it builds the graph (Alloy checks them there, not in its evaluator).
   */
  readonly stdlibReferencesChecked?: boolean | undefined;
}

/** The warning Alloy gives for a deprecated stdlib alias. */
export const DEPRECATED_MESSAGE =
  "this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives";

/**
 * Evaluates `expr`. Names are looked up in `scope` first, then in the stdlib. Throws `DiagnosticsError` on the
 * first evaluation error (Alloy stops at the first one too), or with every stability error found up front.
 */
export function evaluate(expr: Expr, scope: ObjectValue, options: EvalOptions = {}): Value {
  if (options.stdlibReferencesChecked !== true) checkStdlibReferences(expr, scope, options);
  try {
    return evalExpr(expr, scope);
  } catch (e) {
    if (e instanceof EvalFailure) throw new DiagnosticsError([e.toDiagnostic(options.file)]);
    if (isStackOverflow(e)) throw new DiagnosticsError([tooDeepDiagnostic(expr, options.file)]);
    throw e;
  }
}

/**
 * Whether `err` is the JavaScript stack running out. Values can nest deeper than the AST (the parser limits
 * that): `encoding.from_json` accepts 10 000 levels, as Go does, and the code that builds, compares and
 * converts values recurses over them.
 */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message.includes("call stack");
}

/** The diagnostic for a value nested too deeply to work with, positioned on the expression that made it. */
export function tooDeepDiagnostic(expr: Expr, file: string | undefined): Diagnostic {
  return {
    severity: "error",
    file,
    start: exprStart(expr),
    end: exprEnd(expr),
    message: "value is nested too deeply to evaluate (more levels of arrays and objects than supported)",
  };
}

/**
 * The diagnostic for a value that an expression produced and something then rejected: `<text><path> <reason>`
 * positioned on the expression. When the path leads into an array or object written literally, the
 * diagnostic points at that element instead (`"Hello, world!" should be number, got string`).
 */
export function valueDiagnostic(
  expr: Expr,
  steps: readonly PathStep[],
  reason: string,
  file?: string | undefined,
): Diagnostic {
  const [node, rest] = descend(expr, steps);
  return {
    severity: "error",
    file,
    start: exprStart(node),
    end: exprEnd(node),
    message: `${printExpression(node)}${formatPath(rest)} ${reason}`,
  };
}

/** Follows `steps` into array and object literals as far as they go. */
function descend(expr: Expr, steps: readonly PathStep[]): [Expr, readonly PathStep[]] {
  let node = expr;
  let i = 0;
  while (i < steps.length) {
    const step = steps[i] as PathStep;
    let inner = node;
    while (inner.kind === "Paren") inner = inner.inner;
    let next: Expr | undefined;
    if (inner.kind === "Array" && "index" in step) {
      next = inner.elements[step.index];
    } else if (inner.kind === "Object" && "field" in step) {
      next = inner.fields.findLast((f) => f.name.name === step.field)?.value;
    }
    if (next === undefined) break;
    node = next;
    i++;
  }
  return [node, steps.slice(i)];
}

/** An evaluation error, turned into a diagnostic once the file name is known. */
class EvalFailure extends Error {
  readonly toDiagnostic: (file: string | undefined) => Diagnostic;

  constructor(toDiagnostic: (file: string | undefined) => Diagnostic) {
    super("evaluation failed");
    this.toDiagnostic = toDiagnostic;
  }
}

/** A bad value: reported as `<text of node><path> <reason>`. */
function valueFailure(node: Expr, reason: string, steps: readonly PathStep[] = []): EvalFailure {
  return new EvalFailure((file) => valueDiagnostic(node, steps, reason, file));
}

/** A message at a fixed place (`identifier "x" does not exist`, `field "b" does not exist`). */
function placedFailure(message: string, start: Position, end: Position): EvalFailure {
  return new EvalFailure((file) => ({ severity: "error", file, start, end, message }));
}

function lookup(name: string, scope: ObjectValue): Value | undefined {
  if (scope.has(name)) return scope.get(name) as Value;
  return stdlib.get(name);
}

function evalExpr(e: Expr, scope: ObjectValue): Value {
  switch (e.kind) {
    case "Literal":
      return literalValue(e);
    case "Identifier": {
      const v = lookup(e.ident.name, scope);
      if (v === undefined) {
        throw placedFailure(`identifier "${e.ident.name}" does not exist`, e.ident.start, e.ident.end);
      }
      return v;
    }
    case "Array":
      return e.elements.map((el) => evalExpr(el, scope));
    case "Object": {
      const out = new Map<string, Value>();
      for (const f of e.fields) out.set(f.name.name, evalExpr(f.value, scope));
      return out;
    }
    case "Paren":
      return evalExpr(e.inner, scope);
    case "Access": {
      const v = evalExpr(e.value, scope);
      if (v instanceof Map) {
        if (!v.has(e.name.name)) {
          throw placedFailure(`field "${e.name.name}" does not exist`, e.name.start, e.name.end);
        }
        return v.get(e.name.name) as Value;
      }
      const type = typeOf(v);
      if (type === "capsule") {
        throw valueFailure(
          e.value,
          "expected object or array or a capsule convertible to an object, got capsule",
        );
      }
      throw valueFailure(e.value, `cannot access field "${e.name.name}" on value of type ${type}`);
    }
    case "Index":
      return evalIndex(evalExpr(e.value, scope), evalExpr(e.index, scope), e.value, e.index);
    case "Unary": {
      const v = evalExpr(e.value, scope);
      try {
        return unaryOp(e.op, v);
      } catch (err) {
        if (err instanceof OperatorError) throw valueFailure(e.value, err.message);
        throw err;
      }
    }
    case "Binary": {
      // Both operands are always evaluated: Alloy has no short-circuit.
      const l = evalExpr(e.left, scope);
      const r = evalExpr(e.right, scope);
      try {
        return binaryOp(l, e.op, r);
      } catch (err) {
        if (err instanceof OperatorError)
          throw valueFailure(err.operand === 0 ? e.left : e.right, err.message);
        throw err;
      }
    }
    case "Call": {
      const fn = evalExpr(e.value, scope);
      if (!(fn instanceof AlloyFunction))
        throw valueFailure(e.value, `should be function, got ${typeOf(fn)}`);
      const args = e.args.map((a) => evalExpr(a, scope));
      try {
        return fn.call(args);
      } catch (err) {
        if (err instanceof ArgumentError) {
          const arg = e.args[err.argIndex];
          if (arg !== undefined) throw valueFailure(arg, err.message, parsePath(arg, err.path));
          throw valueFailure(e.value, err.message);
        }
        if (err instanceof FunctionError || err instanceof ConversionError) {
          throw valueFailure(e.value, err.message);
        }
        throw err;
      }
    }
  }
}

function evalIndex(v: Value, idx: Value, valueNode: Expr, indexNode: Expr): Value {
  if (Array.isArray(v)) {
    const arr = v as readonly Value[];
    if (!(idx instanceof AlloyNumber)) throw valueFailure(indexNode, `should be number, got ${typeOf(idx)}`);
    const i = idx.toInt64();
    if (i < 0n || i >= BigInt(arr.length)) {
      throw valueFailure(indexNode, `index ${i} is out of range of array with length ${arr.length}`);
    }
    return arr[Number(i)] as Value;
  }
  if (v instanceof Map) {
    if (typeof idx !== "string") throw valueFailure(indexNode, `should be string, got ${typeOf(idx)}`);
    // A missing key gives null with [], unlike `.`.
    return v.has(idx) ? (v.get(idx) as Value) : null;
  }
  const type = typeOf(v);
  if (type === "capsule") {
    throw valueFailure(
      valueNode,
      "expected object or array or a capsule convertible to an object, got capsule",
    );
  }
  throw valueFailure(valueNode, `expected object or array, got ${type}`);
}

/**
 * Splits a path string from an `ArgumentError` (`[2].app.name`) into steps. Field names may contain dots,
 * so where the argument is an object literal the longest matching key is preferred.
 */
function parsePath(arg: Expr, path: string): PathStep[] {
  const steps: PathStep[] = [];
  let node: Expr | undefined = arg;
  let rest = path;
  while (rest.length > 0) {
    let inner: Expr | undefined = node;
    while (inner?.kind === "Paren") inner = inner.inner;
    const index = /^\[(\d+)\]/.exec(rest);
    if (index !== null) {
      const i = Number(index[1]);
      steps.push({ index: i });
      node = inner?.kind === "Array" ? inner.elements[i] : undefined;
      rest = rest.slice(index[0].length);
      continue;
    }
    if (rest[0] !== ".") break;
    let field: string | undefined;
    if (inner?.kind === "Object") {
      const keys = inner.fields.map((f) => f.name.name).sort((a, b) => b.length - a.length);
      field = keys.find((k) => {
        const after = rest[k.length + 1];
        return rest.startsWith(k, 1) && (after === undefined || after === "." || after === "[");
      });
    }
    field ??= /^\.([^.[]*)/.exec(rest)?.[1] ?? "";
    steps.push({ field });
    node = inner?.kind === "Object" ? inner.fields.findLast((f) => f.name.name === field)?.value : undefined;
    rest = rest.slice(field.length + 1);
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// Stdlib references: deprecated aliases warn, experimental functions need the experimental level.

interface Traversal {
  readonly names: readonly string[];
  readonly start: Position;
  readonly end: Position;
}

function checkStdlibReferences(expr: Expr, scope: ObjectValue, options: EvalOptions): void {
  const errors: Diagnostic[] = [];
  for (const t of traversals(expr)) {
    const root = t.names[0] as string;
    if (scope.has(root) || !stdlib.has(root)) continue;
    if (DEPRECATED_FUNCTIONS.has(root)) {
      options.warnings?.push({
        severity: "warning",
        file: options.file,
        start: t.start,
        end: t.end,
        message: DEPRECATED_MESSAGE,
      });
      continue;
    }
    const name = t.names.join(".");
    if (EXPERIMENTAL_FUNCTIONS.has(name) && options.allowExperimental !== true) {
      const min = options.minStability ?? "generally-available";
      errors.push({
        severity: "error",
        file: options.file,
        start: t.start,
        end: t.end,
        message:
          `${name} is at stability level "experimental", which is below the minimum allowed stability level ` +
          `"${min}". Use --stability.level command-line flag to enable "experimental" features`,
      });
    }
  }
  if (errors.length > 0) throw new DiagnosticsError(errors);
}

/**
 * The references in an expression, as Alloy's runtime finds them: an identifier followed by an unbroken
 * chain of `.name` accesses. An index or a call ends the chain.
 */
export function traversals(expr: Expr): Traversal[] {
  const out: Traversal[] = [];
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case "Literal":
        return;
      case "Identifier":
        out.push({ names: [e.ident.name], start: e.ident.start, end: e.ident.end });
        return;
      case "Access": {
        const names: string[] = [];
        let base: Expr = e;
        while (base.kind === "Access") {
          names.unshift(base.name.name);
          base = base.value;
        }
        if (base.kind === "Identifier") {
          out.push({ names: [base.ident.name, ...names], start: base.ident.start, end: e.name.end });
        } else {
          walk(base);
        }
        return;
      }
      case "Array":
        e.elements.forEach(walk);
        return;
      case "Object":
        for (const f of e.fields) walk(f.value);
        return;
      case "Index":
        walk(e.value);
        walk(e.index);
        return;
      case "Call":
        walk(e.value);
        e.args.forEach(walk);
        return;
      case "Unary":
        walk(e.value);
        return;
      case "Binary":
        walk(e.left);
        walk(e.right);
        return;
      case "Paren":
        walk(e.inner);
        return;
    }
  };
  walk(expr);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Literals

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function literalValue(e: LiteralExpr): Value {
  switch (e.token) {
    case "NULL":
      return null;
    case "BOOL":
      return e.raw === "true";
    case "STRING":
      return e.raw.startsWith("`") ? e.raw.slice(1, -1).replaceAll("\r", "") : unquote(e.raw);
    case "NUMBER": {
      // Go's strconv.ParseInt(lit, 0, 64), then ParseUint, then ParseFloat: a leading 0 means octal.
      let n: bigint | undefined;
      if (e.raw.length > 1 && e.raw.startsWith("0")) {
        if (/^0[0-7]+$/.test(e.raw)) n = BigInt(`0o${e.raw.slice(1)}`);
      } else {
        n = BigInt(e.raw);
      }
      if (n !== undefined && n <= INT64_MAX) return AlloyNumber.int(n);
      if (n !== undefined && n <= UINT64_MAX) return AlloyNumber.uint(n);
      return floatLiteral(e);
    }
    case "FLOAT":
      return floatLiteral(e);
  }
}

function floatLiteral(e: LiteralExpr): AlloyNumber {
  const f = Number(e.raw);
  if (!Number.isFinite(f)) {
    throw placedFailure(`strconv.ParseFloat: parsing "${e.raw}": value out of range`, e.start, e.end);
  }
  return AlloyNumber.float(f);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  '"': 34,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Go's strconv.Unquote for a double-quoted literal the scanner has already validated. `\x` and octal escapes
 * are bytes, so the text is rebuilt as UTF-8 bytes and decoded once at the end.
 */
function unquote(raw: string): string {
  const body = raw.slice(1, -1);
  if (!body.includes("\\")) return body;
  const bytes: number[] = [];
  const pushText = (s: string) => {
    for (const b of encoder.encode(s)) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const slash = body.indexOf("\\", i);
    if (slash < 0) {
      pushText(body.slice(i));
      break;
    }
    pushText(body.slice(i, slash));
    const c = body[slash + 1] as string;
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      bytes.push(simple);
      i = slash + 2;
    } else if (c === "x") {
      bytes.push(Number.parseInt(body.slice(slash + 2, slash + 4), 16));
      i = slash + 4;
    } else if (c === "u" || c === "U") {
      const len = c === "u" ? 4 : 8;
      pushText(String.fromCodePoint(Number.parseInt(body.slice(slash + 2, slash + 2 + len), 16)));
      i = slash + 2 + len;
    } else {
      bytes.push(Number.parseInt(body.slice(slash + 1, slash + 4), 8) & 0xff);
      i = slash + 4;
    }
  }
  return decoder.decode(Uint8Array.from(bytes));
}
