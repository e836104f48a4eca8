/**
 * Schema-driven decoding: turns the statements of a block body into a component's typed arguments, with
 * Alloy's messages and positions (`unrecognized attribute name "x"`, `"wrong" should be array, got string`,
 * `missing required attribute "forward_to"`). Unlike Alloy, which stops at the first problem, every
 * diagnostic in the body is collected.
 */
import { type BlockStmt, blockName, type Statement, statementEnd, statementStart } from "./ast.ts";
import {
  ConversionError,
  convertArrayOf,
  convertObjectOf,
  convertToBool,
  convertToCapsule,
  convertToNumber,
  convertToSecret,
  convertToString,
} from "./convert.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { DiagnosticsError } from "./diagnostics.ts";
import { parseDuration } from "./duration.ts";
import { type EvalOptions, evaluate, valueDiagnostic } from "./evaluator.ts";
import type { Position } from "./position.ts";
import type { BodySchema, Field, Fields, InferFields, ValueType } from "./schema.ts";
import { parseSize } from "./size.ts";
import { goQuote } from "./token.ts";
import type { ObjectValue, Value } from "./value.ts";

/** Where a body is decoded: the scope its expressions see, its file, and the block that holds it. */
export interface DecodeContext {
  readonly scope: ObjectValue;
  readonly file: string;
  /** The enclosing block; "missing required ..." and validation errors are positioned on it. */
  readonly block?: BlockStmt | undefined;
  /** Evaluation options; `file` is taken from the context, and warnings are returned with the diagnostics. */
  readonly evalOptions?: EvalOptions | undefined;
}

/** The decoded value (`undefined` when any diagnostic is an error) and every diagnostic, warnings included. */
export interface DecodeResult<F extends Fields> {
  readonly value: InferFields<F> | undefined;
  readonly diagnostics: Diagnostic[];
}

/**
 * Decodes `stmts` against `schema`. Absent attributes take their defaults, absent blocks their body's
 * defaults (`absent: "defaults"`) or `undefined`, and repeated blocks become lists in source order. Once the
 * body decodes cleanly its `validate` hook runs and each issue becomes an error.
 */
export function decodeBody<F extends Fields>(
  schema: BodySchema<F>,
  stmts: readonly Statement[],
  ctx: DecodeContext,
): DecodeResult<F> {
  const diagnostics: Diagnostic[] = [];
  // Warnings (deprecated stdlib aliases) go straight into the list, in statement order.
  const evalOptions: EvalOptions = { ...ctx.evalOptions, file: ctx.file, warnings: diagnostics };
  const error = (message: string, start?: Position, end?: Position): void => {
    diagnostics.push({ severity: "error", file: ctx.file, start, end, message });
  };
  const fields: Fields = schema.fields;
  const fieldOf = (name: string): Field | undefined =>
    Object.hasOwn(fields, name) ? fields[name] : undefined;

  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) out[name] = initialValue(field);

  const blockCount = new Map<string, number>();
  for (const s of stmts) {
    if (s.kind === "Block") blockCount.set(blockName(s), (blockCount.get(blockName(s)) ?? 0) + 1);
  }
  const seenAttrs = new Set<string>();

  for (const stmt of stmts) {
    const start = statementStart(stmt);
    const end = statementEnd(stmt);
    if (stmt.kind === "Attribute") {
      const name = stmt.name.name;
      const field = fieldOf(name);
      if (field === undefined) {
        error(`unrecognized attribute name "${name}"`, start, end);
        continue;
      }
      if (field.kind !== "attr") {
        error(`"${name}" must be a block, but is used as an attribute`, start, end);
        continue;
      }
      if (seenAttrs.has(name)) {
        error(`attribute "${name}" may only be provided once`, start, end);
        continue;
      }
      seenAttrs.add(name);
      let value: Value;
      try {
        value = evaluate(stmt.value, ctx.scope, evalOptions);
      } catch (e) {
        if (!(e instanceof DiagnosticsError)) throw e;
        diagnostics.push(...e.diagnostics);
        continue;
      }
      try {
        out[name] = decodeValue(field.type, value);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        diagnostics.push(valueDiagnostic(stmt.value, e.steps, e.message, ctx.file));
      }
      continue;
    }

    const name = blockName(stmt);
    const field = fieldOf(name);
    if (field === undefined) {
      error(`unrecognized block name "${name}"`, start, end);
      continue;
    }
    if (field.kind === "attr") {
      error(`"${name}" must be an attribute, but is used as a block`, start, end);
      continue;
    }
    if (field.kind === "block" && (blockCount.get(name) ?? 0) > 1) {
      error(`block "${name}" may only be specified once`, start, end);
    }
    if (stmt.label !== undefined && stmt.label !== "") {
      error(`block "${name}" does not support specifying labels`, stmt.nameStart, stmt.lcurly);
    }
    const inner = decodeBody(field.body, stmt.body, { ...ctx, block: stmt });
    diagnostics.push(...inner.diagnostics);
    if (field.kind === "blocks") {
      (out[name] as unknown[]).push(inner.value);
    } else {
      out[name] = inner.value;
    }
  }

  const blockStart = ctx.block?.nameStart;
  const blockEnd = ctx.block?.rcurly;
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === "attr" && field.required && !seenAttrs.has(name)) {
      error(`missing required attribute "${name}"`, blockStart, blockEnd);
    } else if (field.kind === "block" && field.required && !blockCount.has(name)) {
      error(`missing required block "${name}"`, blockStart, blockEnd);
    }
  }

  const hasErrors = () => diagnostics.some((d) => d.severity === "error");
  if (!hasErrors() && schema.validate !== undefined) {
    for (const issue of schema.validate(out as InferFields<F>)) {
      const stmt =
        issue.field === undefined
          ? undefined
          : stmts.find((s) => (s.kind === "Attribute" ? s.name.name : blockName(s)) === issue.field);
      if (stmt !== undefined) error(issue.message, statementStart(stmt), statementEnd(stmt));
      else error(issue.message, blockStart, blockEnd);
    }
  }

  return { value: hasErrors() ? undefined : (out as InferFields<F>), diagnostics };
}

/** The value a field has when its body does not mention it. */
function initialValue(field: Field): unknown {
  switch (field.kind) {
    case "attr":
      return cloneDefault(field.default);
    case "block":
      return field.absent === "defaults" ? defaultsOf(field.body) : undefined;
    case "blocks":
      return [];
  }
}

/** A body's defaults, as Alloy's `SetToDefault` gives them for a block that is absent. */
export function defaultsOf<F extends Fields>(schema: BodySchema<F>): InferFields<F> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.fields as Fields)) out[name] = initialValue(field);
  return out as InferFields<F>;
}

/** Defaults are shared by every decode; lists and plain objects are copied so no decode can alter them. */
function cloneDefault(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneDefault);
  if (v !== null && typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const copy = Object.create(proto) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v)) copy[k] = cloneDefault(x);
      return copy;
    }
  }
  return v;
}

/**
 * Converts an evaluated value to the JS value of an attribute type. `null` gives the type's zero value (not
 * the default), as in Alloy. Throws `ConversionError` with Alloy's reason and the path to the bad element.
 */
export function decodeValue(type: ValueType<unknown>, v: Value): unknown {
  switch (type.kind) {
    case "string":
      return convertToString(v);
    case "number":
      return convertToNumber(v).toFloat64();
    case "int": {
      const n = convertToNumber(v);
      if (n.kind === "float" && !Number.isInteger(n.value))
        throw new ConversionError("should be a whole number");
      return Number(n.toInt64());
    }
    case "bool":
      return convertToBool(v);
    case "duration":
      if (v === null) return 0;
      return parseOrFail(parseDuration, convertToString(v));
    case "size":
      // A number of bytes goes through its text too, so negative and fractional sizes are refused alike.
      if (v === null) return 0;
      return parseOrFail(parseSize, convertToString(v));
    case "secret":
      return convertToSecret(v);
    case "enum": {
      const s = convertToString(v);
      if (v !== null && !type.values.includes(s)) {
        throw new ConversionError(`should be one of [${type.values.map(goQuote).join(" ")}]`);
      }
      return s;
    }
    case "capsule":
      return convertToCapsule(v, type.hostType)?.value ?? null;
    case "any":
      return v;
    case "list":
      return convertArrayOf(v, (e) => decodeValue(type.of, e));
    case "map":
      return convertObjectOf(v, (e) => decodeValue(type.of, e));
  }
}

function parseOrFail(parse: (text: string) => number, text: string): number {
  try {
    return parse(text);
  } catch (e) {
    throw new ConversionError(e instanceof Error ? e.message : String(e));
  }
}
