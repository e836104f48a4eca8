/**
 * Alloy's "alloyjson" encoding (`syntax/encoding/alloyjson`), used by the components API for `arguments`
 * and `exports`: a body is a list of `{name, type: "attr", value}` and `{name, type: "block", body}`
 * statements, and a value is `{type, value}`. Arguments are encoded from their schema, so attributes that
 * still hold their defaults are left out, durations print as Go prints them (`5m0s`) and secrets print as
 * `{"type":"capsule","value":"(secret)"}`: a secret's text never reaches this output. A string that is a URL
 * is shown with its password and credential query parameters masked (`redactUrl`), unlike Alloy, which
 * shows `url = "http://user:password@host"` as written.
 */
import { redactUrl } from "../http/redact-url.ts";
import { formatDuration } from "../syntax/duration.ts";
import type { BodySchema, Field, Fields, ValueType } from "../syntax/schema.ts";
import { formatSize } from "../syntax/size.ts";
import { AlloyFunction, AlloyNumber, Capsule, OptionalSecret, Secret, type Value } from "../syntax/value.ts";
import { deepEqual } from "./equality.ts";

/** One encoded value. */
export interface JSONValue {
  readonly type: string;
  readonly value: unknown;
}

/** One encoded statement of a body. */
export type JSONStatement =
  | { readonly name: string; readonly type: "attr"; readonly value: JSONValue }
  | {
      readonly name: string;
      readonly type: "block";
      readonly label?: string;
      readonly body: JSONStatement[];
    };

const SECRET: JSONValue = Object.freeze({ type: "capsule", value: "(secret)" });

/** `scheme://...`: a string that is shown through `redactUrl`. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

function shownString(v: string): JSONValue {
  return { type: "string", value: URL_LIKE.test(v) ? redactUrl(v) : v };
}

/** Encodes decoded arguments with the schema that decoded them; defaults are left out. */
export function encodeBody<F extends Fields>(schema: BodySchema<F>, value: unknown): JSONStatement[] {
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  const out: JSONStatement[] = [];
  for (const [name, field] of Object.entries(schema.fields as Fields)) {
    out.push(...encodeField(name, field, record[name]));
  }
  return out;
}

function encodeField(name: string, field: Field, v: unknown): JSONStatement[] {
  switch (field.kind) {
    case "attr": {
      if (v === undefined) return [];
      if (!field.required && (deepEqual(v, field.default) || (isZero(field.default) && isZero(v)))) {
        return [];
      }
      return [{ name, type: "attr", value: encodeTyped(field.type, v) }];
    }
    case "block": {
      if (v === undefined || v === null) return [];
      if (!field.required && field.absent === "defaults" && deepEqual(v, bodyDefaults(field.body))) {
        return [];
      }
      return [{ name, type: "block", body: encodeBody(field.body, v) }];
    }
    case "blocks": {
      if (!Array.isArray(v)) return [];
      return v.map((item) => ({ name, type: "block" as const, body: encodeBody(field.body, item) }));
    }
  }
}

/** The value a body decodes to when it is empty: its attributes' defaults and its default blocks. */
export function bodyDefaults<F extends Fields>(schema: BodySchema<F>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.fields as Fields)) {
    if (field.kind === "attr") {
      if (field.default !== undefined) out[name] = field.default;
    } else if (field.kind === "block") {
      if (field.absent === "defaults") out[name] = bodyDefaults(field.body);
    } else {
      out[name] = [];
    }
  }
  return out;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  return false;
}

/** Encodes a decoded value of a schema type. */
function encodeTyped(type: ValueType<unknown>, v: unknown): JSONValue {
  if (v === undefined || v === null) return { type: "null", value: null };
  switch (type.kind) {
    case "string":
    case "enum":
      return v instanceof Secret ? SECRET : shownString(String(v));
    case "number":
    case "int":
      return { type: "number", value: typeof v === "number" ? v : Number(v) };
    case "bool":
      return { type: "bool", value: v === true };
    case "duration":
      return { type: "string", value: typeof v === "number" ? formatDuration(v) : String(v) };
    case "size":
      return { type: "string", value: typeof v === "number" ? formatSize(v) : String(v) };
    case "secret":
      return SECRET;
    case "capsule":
      return v instanceof Capsule
        ? encodeValue(v)
        : { type: "capsule", value: `capsule("${type.hostType}")` };
    case "any":
      return encodeValue(v as Value);
    case "list":
      return {
        type: "array",
        value: Array.isArray(v) ? v.map((item: unknown) => encodeTyped(type.of, item)) : [],
      };
    case "map": {
      const entries = v instanceof Map ? [...v] : Object.entries(v as Record<string, unknown>);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return {
        type: "object",
        value: entries.map(([key, item]) => ({ key, value: encodeTyped(type.of, item) })),
      };
    }
  }
}

/** Encodes an Alloy value (exports, and `any`-typed arguments). */
export function encodeValue(v: Value | undefined): JSONValue {
  if (v === undefined || v === null) return { type: "null", value: null };
  if (typeof v === "string") return shownString(v);
  if (typeof v === "boolean") return { type: "bool", value: v };
  if (v instanceof AlloyNumber) return { type: "number", value: v.toNumber() };
  if (v instanceof Secret) return SECRET;
  if (v instanceof OptionalSecret) return v.isSecret ? SECRET : shownString(v.reveal());
  if (v instanceof AlloyFunction) return { type: "function", value: "function" };
  if (v instanceof Capsule) return { type: "capsule", value: `capsule("${v.hostType}")` };
  if (Array.isArray(v)) return { type: "array", value: v.map((item: Value) => encodeValue(item)) };
  if (v instanceof Map) {
    const keys = [...v.keys()].sort();
    return { type: "object", value: keys.map((key) => ({ key, value: encodeValue(v.get(key)) })) };
  }
  return { type: "null", value: null };
}

/** Encodes a component's exports object as a body of attributes, in the order the component gave them. */
export function encodeExports(exports: ReadonlyMap<string, Value>): JSONStatement[] {
  return [...exports].map(([name, value]) => ({ name, type: "attr" as const, value: encodeValue(value) }));
}
