/**
 * Argument schemas: each component declares its arguments once, with these builders. The same declaration
 * drives decoding from evaluated Alloy values (with positions in every error), `validate`, the components
 * API (secrets shown as `(secret)`, defaults left out) and the argument tables of docs/components.md.
 *
 * ```ts
 * const endpoint = body({
 *   url: attr(t.string(), { required: true, doc: "Where to send profiles." }),
 *   remote_timeout: attr(t.duration(), { default: 10_000, doc: "Timeout of one request." }),
 * });
 * const args = body({ endpoint: blocks(endpoint, { doc: "..." }) });
 * type Args = Infer<typeof args>; // { endpoint: { url: string; remote_timeout: number }[] }
 * ```
 */
import type { Secret, Value } from "./value.ts";

/** The kinds of value an attribute can hold; `describe` is the type as the docs write it. */
export type ValueType<T> =
  | { readonly kind: "string"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "number"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "int"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "bool"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "duration"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "size"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "secret"; readonly describe: string; readonly __type?: T }
  | {
      readonly kind: "enum";
      readonly values: readonly string[];
      readonly describe: string;
      readonly __type?: T;
    }
  | { readonly kind: "capsule"; readonly hostType: string; readonly describe: string; readonly __type?: T }
  | { readonly kind: "any"; readonly describe: string; readonly __type?: T }
  | { readonly kind: "list"; readonly of: ValueType<unknown>; readonly describe: string; readonly __type?: T }
  | { readonly kind: "map"; readonly of: ValueType<unknown>; readonly describe: string; readonly __type?: T };

/** Value type builders. Durations decode to milliseconds, sizes to bytes. */
export const t = {
  string: (): ValueType<string> => ({ kind: "string", describe: "string" }),
  /** Any number, as a JS number. */
  number: (): ValueType<number> => ({ kind: "number", describe: "number" }),
  /** A whole number; a fraction is an error. */
  int: (): ValueType<number> => ({ kind: "int", describe: "number" }),
  bool: (): ValueType<boolean> => ({ kind: "bool", describe: "bool" }),
  /** A Go duration string (`"500ms"`, `"1h30m"`), decoded to milliseconds. */
  duration: (): ValueType<number> => ({ kind: "duration", describe: "duration" }),
  /** A size (`"256MiB"`, `"1GB"`, or a number of bytes), decoded to bytes. */
  size: (): ValueType<number> => ({ kind: "size", describe: "size" }),
  /** A string that is secret: it decodes to a `Secret` and is shown as `(secret)`. */
  secret: (): ValueType<Secret> => ({ kind: "secret", describe: "secret" }),
  /** A string restricted to the given values. */
  enum: <const S extends string>(...values: S[]): ValueType<S> => ({
    kind: "enum",
    values,
    describe: "string",
  }),
  /** A host value such as a receiver; `hostType` is the type name in messages (`pyroscope.Appendable`). */
  capsule: <T>(hostType: string): ValueType<T> => ({
    kind: "capsule",
    hostType,
    describe: `capsule(${hostType})`,
  }),
  any: (): ValueType<Value> => ({ kind: "any", describe: "any" }),
  list: <T>(of: ValueType<T>): ValueType<T[]> => ({ kind: "list", of, describe: `list(${of.describe})` }),
  map: <T>(of: ValueType<T>): ValueType<Record<string, T>> => ({
    kind: "map",
    of,
    describe: `map(${of.describe})`,
  }),
} as const;

export interface AttrField<T, Optional extends boolean> {
  readonly kind: "attr";
  readonly type: ValueType<T>;
  readonly required: boolean;
  /** The value when the attribute is absent; `undefined` for required attributes and optional ones with none. */
  readonly default: T | undefined;
  readonly doc: string;
  readonly __optional?: Optional;
}

export interface BlockField<F extends Fields, Optional extends boolean> {
  readonly kind: "block";
  readonly body: BodySchema<F>;
  readonly required: boolean;
  /** When absent: `"defaults"` gives the body's defaults (Alloy's defaulted struct), `"undefined"` nothing. */
  readonly absent: "defaults" | "undefined";
  readonly doc: string;
  readonly __optional?: Optional;
}

/** A block that may appear any number of times (`endpoint { } endpoint { }`), decoded to a list in order. */
export interface BlocksField<F extends Fields> {
  readonly kind: "blocks";
  readonly body: BodySchema<F>;
  readonly doc: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the field map is heterogeneous; Infer<> recovers every type.
export type Field = AttrField<any, boolean> | BlockField<any, boolean> | BlocksField<any>;
export type Fields = { readonly [name: string]: Field };

export interface BodySchema<F extends Fields> {
  readonly kind: "body";
  readonly fields: F;
  /**
   * Checks across fields once the body is decoded, in Alloy's words. Each returned message becomes an error
   * diagnostic on the block (or on the named attribute when `attribute` is given).
   */
  readonly validate?: (value: InferFields<F>) => readonly ValidationIssue[];
}

export interface ValidationIssue {
  readonly message: string;
  /** The attribute or block the problem is about, if one is; the diagnostic then points at it. */
  readonly field?: string;
}

type FieldType<X> =
  X extends AttrField<infer T, infer O>
    ? O extends true
      ? T | undefined
      : T
    : X extends BlockField<infer F, infer O>
      ? O extends true
        ? InferFields<F> | undefined
        : InferFields<F>
      : X extends BlocksField<infer F>
        ? InferFields<F>[]
        : never;

export type InferFields<F extends Fields> = { -readonly [K in keyof F]: FieldType<F[K]> };

/** The decoded type of a body schema. */
export type Infer<B> = B extends BodySchema<infer F> ? InferFields<F> : never;

/** A required attribute. */
export function attr<T>(type: ValueType<T>, opts: { required: true; doc: string }): AttrField<T, false>;
/** An optional attribute with a default. */
export function attr<T>(type: ValueType<T>, opts: { default: T; doc: string }): AttrField<T, false>;
/** An optional attribute with no default: `undefined` when absent. */
export function attr<T>(type: ValueType<T>, opts: { doc: string }): AttrField<T, true>;
export function attr<T>(
  type: ValueType<T>,
  opts: { required?: boolean; default?: T; doc: string },
): AttrField<T, boolean> {
  return { kind: "attr", type, required: opts.required === true, default: opts.default, doc: opts.doc };
}

/** A required block. */
export function block<F extends Fields>(
  b: BodySchema<F>,
  opts: { required: true; doc: string },
): BlockField<F, false>;
/** An optional block that has its body's defaults when absent. */
export function block<F extends Fields>(
  b: BodySchema<F>,
  opts: { absent: "defaults"; doc: string },
): BlockField<F, false>;
/** An optional block: `undefined` when absent. */
export function block<F extends Fields>(b: BodySchema<F>, opts: { doc: string }): BlockField<F, true>;
export function block<F extends Fields>(
  b: BodySchema<F>,
  opts: { required?: boolean; absent?: "defaults"; doc: string },
): BlockField<F, boolean> {
  return {
    kind: "block",
    body: b,
    required: opts.required === true,
    absent: opts.absent ?? "undefined",
    doc: opts.doc,
  };
}

export function blocks<F extends Fields>(b: BodySchema<F>, opts: { doc: string }): BlocksField<F> {
  return { kind: "blocks", body: b, doc: opts.doc };
}

export function body<F extends Fields>(
  fields: F,
  opts: { validate?: (value: InferFields<F>) => readonly ValidationIssue[] } = {},
): BodySchema<F> {
  return opts.validate ? { kind: "body", fields, validate: opts.validate } : { kind: "body", fields };
}
