/**
 * `encoding.from_yaml`: YAML decoded the way Go's `gopkg.in/yaml.v3` decodes into `interface{}`. The `yaml`
 * package parses (only the first document counts, as in yaml.v3); plain scalars are then resolved with
 * yaml.v3's own rules rather than the YAML 1.2 core schema: `0777` is octal, `1_000` is 1000, `0b101` is
 * binary, `yes`/`on` stay strings, timestamps stay strings; ints are ints and floats are floats.
 *
 * Known differences: parse errors carry the `yaml` package's wording after Go's `yaml: line N: ` prefix
 * (libyaml's texts cannot be reproduced); keys that are not strings are turned into strings (Alloy would
 * produce an unusable capsule).
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  Scalar,
} from "yaml";
import { numberToString, quoteGo } from "../go-strconv.ts";
import { AlloyNumber, type Value } from "../value.ts";

/** A failure with Go's error text. */
export class GoYAMLError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoYAMLError";
  }
}

const TAG = "tag:yaml.org,2002:";

interface Context {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly errors: string[];
  readonly resolving: Set<Node>;
}

/** Decodes the first YAML document of `text` (empty input is null). */
export function decodeYAML(text: string): Value {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    schema: "failsafe",
    lineCounter: lines,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return null;
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = lines.linePos(error.pos[0]).line;
    throw new GoYAMLError(`yaml: line ${line}: ${error.message.split("\n")[0]}`);
  }
  if (doc.contents === null) return null;
  const ctx: Context = { doc, lines, errors: [], resolving: new Set() };
  const value = convert(doc.contents as Node, ctx);
  if (ctx.errors.length > 0) throw new GoYAMLError(`yaml: unmarshal errors:\n  ${ctx.errors.join("\n  ")}`);
  return value;
}

function lineOf(node: Node, ctx: Context): number {
  return node.range ? ctx.lines.linePos(node.range[0]).line : 0;
}

function convert(node: Node, ctx: Context): Value {
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc) as Node | undefined;
    if (target === undefined) throw new GoYAMLError(`yaml: unknown anchor '${node.source}' referenced`);
    if (ctx.resolving.has(target))
      throw new GoYAMLError(`yaml: anchor '${node.source}' value contains itself`);
    ctx.resolving.add(target);
    try {
      return convert(target, ctx);
    } finally {
      ctx.resolving.delete(target);
    }
  }
  if (isScalar(node)) return convertScalar(node);
  if (isSeq(node)) return node.items.map((item) => (item === null ? null : convert(item as Node, ctx)));
  if (isMap(node)) return convertMap(node.items, ctx);
  return null;
}

function convertScalar(node: Scalar): Value {
  const text = String(node.value ?? "");
  const tag = node.tag;
  if (tag === undefined || tag === "!") {
    return node.type === Scalar.PLAIN && tag === undefined ? resolvePlain(text) : text;
  }
  switch (tag) {
    case `${TAG}str`:
    case `${TAG}timestamp`:
      return text;
    case `${TAG}null`:
      return null;
    case `${TAG}binary`:
      return Buffer.from(text.replace(/\s+/g, ""), "base64").toString("utf8");
    case `${TAG}bool`:
    case `${TAG}int`:
      return resolvePlain(text);
    case `${TAG}float`: {
      const v = resolvePlain(text);
      return v instanceof AlloyNumber ? AlloyNumber.float(v.toNumber()) : v;
    }
    default:
      return text; // a custom tag: the text, as yaml.v3 decodes it into interface{}
  }
}

function convertMap(items: readonly unknown[], ctx: Context): Value {
  const out = new Map<string, Value>();
  const merges: Node[] = [];
  const seen: { value: string; line: number }[] = [];
  for (const pair of items) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as Node | null;
    if (keyNode !== null && isScalar(keyNode)) {
      const raw = String(keyNode.value ?? "");
      const line = lineOf(keyNode, ctx);
      const first = seen.find((s) => s.value === raw);
      if (first !== undefined) {
        ctx.errors.push(`line ${line}: mapping key ${quoteGo(raw)} already defined at line ${first.line}`);
      } else {
        seen.push({ value: raw, line });
      }
      if (keyNode.type === Scalar.PLAIN && keyNode.tag === undefined && raw === "<<") {
        if (pair.value !== null) merges.push(pair.value as Node);
        continue;
      }
    }
    const key = keyText(keyNode === null ? null : convert(keyNode, ctx));
    out.set(key, pair.value === null ? null : convert(pair.value as Node, ctx));
  }
  // `<<` merges: explicit keys win, then earlier merged maps over later ones.
  for (const merge of merges) {
    const sources = isSeq(merge) ? (merge.items as Node[]) : [merge];
    for (const source of sources) {
      const value = convert(source, ctx);
      if (!(value instanceof Map))
        throw new GoYAMLError("yaml: map merge requires map or sequence of maps as the value");
      for (const [k, v] of value) if (!out.has(k)) out.set(k, v);
    }
  }
  return out;
}

function keyText(key: Value): string {
  if (typeof key === "string") return key;
  if (key === null) return "";
  if (key instanceof AlloyNumber) return numberToString(key);
  return String(key);
}

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUES = new Set(["true", "True", "TRUE"]);
const FALSES = new Set(["false", "False", "FALSE"]);
const NANS = new Set([".nan", ".NaN", ".NAN"]);
const INFS = new Set([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]);
const NEG_INFS = new Set(["-.inf", "-.Inf", "-.INF"]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** yaml.v3's `resolve` for an untagged plain scalar. */
export function resolvePlain(s: string): Value {
  if (NULLS.has(s)) return null;
  if (TRUES.has(s)) return true;
  if (FALSES.has(s)) return false;
  if (NANS.has(s)) return AlloyNumber.float(Number.NaN);
  if (INFS.has(s)) return AlloyNumber.float(Number.POSITIVE_INFINITY);
  if (NEG_INFS.has(s)) return AlloyNumber.float(Number.NEGATIVE_INFINITY);
  const hint = s[0] as string;
  if (hint === ".") {
    const f = Number(s);
    return /^\.\d+([eE][-+]?\d+)?$/.test(s) && Number.isFinite(f) ? AlloyNumber.float(f) : s;
  }
  if (!/^[-+0-9]/.test(hint)) return s;
  const plain = s.replaceAll("_", "");
  const m = GO_INT.exec(plain);
  if (m !== null) {
    const digits = m[2] as string;
    const magnitude = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.toLowerCase());
    const n = m[1] === "-" ? -magnitude : magnitude;
    if (n >= INT64_MIN && n <= INT64_MAX) return AlloyNumber.int(n);
    if (m[1] === "" && n <= UINT64_MAX) return AlloyNumber.uint(n);
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return AlloyNumber.float(f);
  }
  return s;
}
