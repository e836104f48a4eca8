/**
 * The seam between the runtime and the language: how a block body becomes a component's arguments. The
 * runtime only needs this function type; `defaultDecoder` adapts `src/syntax/decode.ts` to it.
 */
import type { BlockStmt, Statement } from "../syntax/ast.ts";
import { decodeBody } from "../syntax/decode.ts";
import type { Diagnostic } from "../syntax/diagnostics.ts";
import type { BodySchema, Fields } from "../syntax/schema.ts";
import { findSecretLiterals, maskSecretMessages, secretAttributeNames } from "../syntax/secret-literals.ts";
import { stdlib } from "../syntax/stdlib/index.ts";
import type { ObjectValue } from "../syntax/value.ts";
import type { Stability } from "./component.ts";

/** Where a body is decoded: the scope of component exports, and the block it belongs to. */
export interface DecodeContext {
  readonly scope: ObjectValue;
  readonly file: string;
  readonly block: BlockStmt;
  readonly minStability: Stability;
}

/** Evaluates and decodes a body against a schema. `value` is meaningful only without error diagnostics. */
export type BodyDecoder = <F extends Fields>(
  schema: BodySchema<F>,
  body: readonly Statement[],
  context: DecodeContext,
) => { readonly value: unknown; readonly diagnostics: readonly Diagnostic[] };

const secretNamesBySchema = new WeakMap<object, ReadonlySet<string>>();

/**
 * The decoder the CLI uses: `src/syntax/decode.ts`. Stdlib references (deprecated aliases, experimental
 * functions) are not checked again here: the graph planner has checked every body's references already.
 * A message that quotes a secret written into the body (`["hunter2"] should be capsule, got array`) quotes
 * it masked, so it can be logged and shown in health messages.
 */
export const defaultDecoder: BodyDecoder = (schema, body, context) => {
  const decoded = decodeBody(schema, body, {
    scope: context.scope,
    file: context.file,
    block: context.block,
    evalOptions: {
      allowExperimental: context.minStability === "experimental",
      minStability: context.minStability,
      stdlibReferencesChecked: true,
    },
  });
  if (decoded.diagnostics.length === 0) return decoded;
  let names = secretNamesBySchema.get(schema);
  if (names === undefined) {
    names = secretAttributeNames([schema]);
    secretNamesBySchema.set(schema, names);
  }
  const secrets = findSecretLiterals([{ kind: "File", filename: context.file, body, comments: [] }], names);
  return { value: decoded.value, diagnostics: maskSecretMessages(decoded.diagnostics, secrets) };
};

/** Whether a top-level identifier names something in the stdlib (`sys`, `string`, `env`, ...). */
export const isStdlibName = (name: string): boolean => stdlib.has(name);
