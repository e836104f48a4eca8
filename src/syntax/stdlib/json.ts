/**
 * JSON the way Go's `encoding/json` does it, for `encoding.from_json` and `encoding.to_json`: decoding
 * reports Go's error texts (its scanner is ported byte for byte) and turns every number into a float;
 * encoding sorts object keys, escapes `<`, `>`, `&`, U+2028 and U+2029, and prints floats as Go does.
 */
import { compareCodePoints } from "../go-format.ts";
import { formatGoFloat, quoteGo } from "../go-strconv.ts";
import {
  AlloyFunction,
  AlloyNumber,
  Capsule,
  type ObjectValue,
  OptionalSecret,
  Secret,
  type Value,
} from "../value.ts";

/** A failure with Go's error text. */
export class GoJSONError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoJSONError";
  }
}

/** Go `json.Unmarshal` into `interface{}`, as an Alloy value: objects, arrays, strings, floats, bools, null. */
export function decodeJSON(text: string): Value {
  const numbers = checkValid(Buffer.from(text, "utf8"));
  for (const literal of numbers) {
    if (!Number.isFinite(Number(literal))) {
      throw new GoJSONError(`json: cannot unmarshal number ${literal} into Go value of type float64`);
    }
  }
  return fromParsed(JSON.parse(text));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function fromParsed(x: unknown): Value {
  if (x === null || typeof x === "boolean") return x;
  if (typeof x === "number") return AlloyNumber.float(x);
  if (typeof x === "string") return x.replace(LONE_SURROGATE, "\ufffd");
  if (Array.isArray(x)) return x.map(fromParsed);
  const out = new Map<string, Value>();
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    out.set(k.replace(LONE_SURROGATE, "\ufffd"), fromParsed(v));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Go's scanner (encoding/json/scanner.go): validates and produces Go's syntax error messages.

type Step = (s: Scanner, c: number) => void;

const PARSE_OBJECT_KEY = 0;
const PARSE_OBJECT_VALUE = 1;
const PARSE_ARRAY_VALUE = 2;
const MAX_NESTING_DEPTH = 10000;

interface Scanner {
  step: Step;
  parseState: number[];
  err: string | null;
  endTop: boolean;
  /** Byte offset of the number literal being scanned, or -1. */
  numberStart: number;
  offset: number;
  numbers: string[];
  data: Buffer;
}

/** Validates `data`, throwing Go's error; returns the number literals in order. */
function checkValid(data: Buffer): string[] {
  const s: Scanner = {
    step: stateBeginValue,
    parseState: [],
    err: null,
    endTop: false,
    numberStart: -1,
    offset: 0,
    numbers: [],
    data,
  };
  for (; s.offset < data.length; s.offset++) {
    s.step(s, data[s.offset] as number);
    if (s.err !== null) throw new GoJSONError(s.err);
  }
  if (!s.endTop) {
    s.step(s, 0x20);
    if (s.err !== null) throw new GoJSONError(s.err);
    if (!s.endTop) throw new GoJSONError("unexpected end of JSON input");
  }
  return s.numbers;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Go's `quoteChar`: how the scanner names a byte in errors (a byte ≥ 0x80 reads as a Latin-1 rune). */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  return `'${quoteGo(String.fromCharCode(c)).slice(1, -1)}'`;
}

function fail(s: Scanner, c: number, context: string): void {
  s.step = stateError;
  s.err = `invalid character ${quoteChar(c)} ${context}`;
}

function stateError(): void {}

function pushParseState(s: Scanner, c: number, state: number): void {
  s.parseState.push(state);
  if (s.parseState.length > MAX_NESTING_DEPTH) fail(s, c, "exceeded max depth");
}

function popParseState(s: Scanner): void {
  s.parseState.pop();
  if (s.parseState.length === 0) {
    s.step = stateEndTop;
    s.endTop = true;
  } else {
    s.step = stateEndValue;
  }
}

function beginNumber(s: Scanner, next: Step): void {
  s.numberStart = s.offset;
  s.step = next;
}

function endNumber(s: Scanner, c: number): void {
  s.numbers.push(s.data.subarray(s.numberStart, s.offset).toString("latin1"));
  s.numberStart = -1;
  stateEndValue(s, c);
}

function stateBeginValueOrEmpty(s: Scanner, c: number): void {
  if (isSpace(c)) return;
  if (c === 0x5d) {
    stateEndValue(s, c);
    return;
  }
  stateBeginValue(s, c);
}

function stateBeginValue(s: Scanner, c: number): void {
  if (isSpace(c)) return;
  switch (c) {
    case 0x7b: // {
      s.step = stateBeginStringOrEmpty;
      pushParseState(s, c, PARSE_OBJECT_KEY);
      return;
    case 0x5b: // [
      s.step = stateBeginValueOrEmpty;
      pushParseState(s, c, PARSE_ARRAY_VALUE);
      return;
    case 0x22:
      s.step = stateInString;
      return;
    case 0x2d: // -
      beginNumber(s, stateNeg);
      return;
    case 0x30:
      beginNumber(s, state0);
      return;
    case 0x74:
      s.step = literal("true", 1);
      return;
    case 0x66:
      s.step = literal("false", 1);
      return;
    case 0x6e:
      s.step = literal("null", 1);
      return;
  }
  if (c >= 0x31 && c <= 0x39) {
    beginNumber(s, state1);
    return;
  }
  fail(s, c, "looking for beginning of value");
}

function stateBeginStringOrEmpty(s: Scanner, c: number): void {
  if (isSpace(c)) return;
  if (c === 0x7d) {
    s.parseState[s.parseState.length - 1] = PARSE_OBJECT_VALUE;
    stateEndValue(s, c);
    return;
  }
  stateBeginString(s, c);
}

function stateBeginString(s: Scanner, c: number): void {
  if (isSpace(c)) return;
  if (c === 0x22) {
    s.step = stateInString;
    return;
  }
  fail(s, c, "looking for beginning of object key string");
}

function stateEndValue(s: Scanner, c: number): void {
  const n = s.parseState.length;
  if (n === 0) {
    s.step = stateEndTop;
    s.endTop = true;
    stateEndTop(s, c);
    return;
  }
  if (isSpace(c)) {
    s.step = stateEndValue;
    return;
  }
  switch (s.parseState[n - 1]) {
    case PARSE_OBJECT_KEY:
      if (c === 0x3a) {
        s.parseState[n - 1] = PARSE_OBJECT_VALUE;
        s.step = stateBeginValue;
        return;
      }
      fail(s, c, "after object key");
      return;
    case PARSE_OBJECT_VALUE:
      if (c === 0x2c) {
        s.parseState[n - 1] = PARSE_OBJECT_KEY;
        s.step = stateBeginString;
        return;
      }
      if (c === 0x7d) {
        popParseState(s);
        return;
      }
      fail(s, c, "after object key:value pair");
      return;
    default:
      if (c === 0x2c) {
        s.step = stateBeginValue;
        return;
      }
      if (c === 0x5d) {
        popParseState(s);
        return;
      }
      fail(s, c, "after array element");
      return;
  }
}

function stateEndTop(s: Scanner, c: number): void {
  if (!isSpace(c)) fail(s, c, "after top-level value");
}

function stateInString(s: Scanner, c: number): void {
  if (c === 0x22) s.step = stateEndValue;
  else if (c === 0x5c) s.step = stateInStringEsc;
  else if (c < 0x20) fail(s, c, "in string literal");
}

function stateInStringEsc(s: Scanner, c: number): void {
  if ('bfnrt\\/"'.includes(String.fromCharCode(c))) {
    s.step = stateInString;
  } else if (c === 0x75) {
    s.step = escapeU(4);
  } else {
    fail(s, c, "in string escape code");
  }
}

function escapeU(remaining: number): Step {
  return (s, c) => {
    if (!isHex(c)) {
      fail(s, c, "in \\u hexadecimal character escape");
      return;
    }
    s.step = remaining === 1 ? stateInString : escapeU(remaining - 1);
  };
}

function stateNeg(s: Scanner, c: number): void {
  if (c === 0x30) s.step = state0;
  else if (c >= 0x31 && c <= 0x39) s.step = state1;
  else fail(s, c, "in numeric literal");
}

function state1(s: Scanner, c: number): void {
  if (isDigit(c)) return;
  state0(s, c);
}

function state0(s: Scanner, c: number): void {
  if (c === 0x2e) s.step = stateDot;
  else if (c === 0x65 || c === 0x45) s.step = stateE;
  else endNumber(s, c);
}

function stateDot(s: Scanner, c: number): void {
  if (isDigit(c)) s.step = stateDot0;
  else fail(s, c, "after decimal point in numeric literal");
}

function stateDot0(s: Scanner, c: number): void {
  if (isDigit(c)) return;
  if (c === 0x65 || c === 0x45) s.step = stateE;
  else endNumber(s, c);
}

function stateE(s: Scanner, c: number): void {
  if (c === 0x2b || c === 0x2d) s.step = stateESign;
  else stateESign(s, c);
}

function stateESign(s: Scanner, c: number): void {
  if (isDigit(c)) s.step = stateE0;
  else fail(s, c, "in exponent of numeric literal");
}

function stateE0(s: Scanner, c: number): void {
  if (!isDigit(c)) endNumber(s, c);
}

/** The states inside `true`, `false` and `null`, expecting `word[index]` next. */
function literal(word: string, index: number): Step {
  return (s, c) => {
    const want = word.charCodeAt(index);
    if (c !== want) {
      fail(s, c, `in literal ${word} (expecting '${word[index]}')`);
      return;
    }
    s.step = index + 1 === word.length ? stateEndValue : literal(word, index + 1);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** Where a value cannot be encoded: a secret (refused) or a type JSON cannot hold. */
export class JSONEncodeError extends Error {
  readonly path: string;
  readonly secret: boolean;

  constructor(message: string, path: string, secret: boolean) {
    super(message);
    this.name = "JSONEncodeError";
    this.path = path;
    this.secret = secret;
  }
}

/** Go `json.Marshal` of an Alloy object (keys sorted, HTML-safe escaping, no whitespace). */
export function encodeJSON(v: ObjectValue): string {
  return encode(v, "");
}

function encode(v: Value, path: string): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return encodeString(v);
  if (v instanceof AlloyNumber) return encodeNumber(v);
  if (Array.isArray(v))
    return `[${(v as readonly Value[]).map((x, i) => encode(x, `${path}[${i}]`)).join(",")}]`;
  if (v instanceof Map) {
    const keys = [...(v as ObjectValue).keys()].sort(compareCodePoints);
    const fields = keys.map(
      (k) => `${encodeString(k)}:${encode((v as ObjectValue).get(k) as Value, `${path}.${k}`)}`,
    );
    return `{${fields.join(",")}}`;
  }
  if (v instanceof OptionalSecret && !v.isSecret) return encodeString(v.reveal());
  if (v instanceof Secret || v instanceof OptionalSecret) {
    throw new JSONEncodeError("secrets may not be converted into strings", path, true);
  }
  if (v instanceof AlloyFunction) throw new JSONEncodeError("json: unsupported type: func", path, false);
  const type = v instanceof Capsule ? v.hostType : "capsule";
  throw new JSONEncodeError(`json: unsupported type: ${type}`, path, false);
}

function encodeNumber(n: AlloyNumber): string {
  if (typeof n.value === "bigint") return n.value.toString();
  const f = n.value;
  if (!Number.isFinite(f)) {
    throw new JSONEncodeError(`json: unsupported value: ${formatGoFloat(f, "g", -1)}`, "", false);
  }
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return formatGoFloat(f, "e", -1).replace(/e-0(\d)$/, "e-$1");
  }
  return formatGoFloat(f, "f", -1);
}

const HEX = "0123456789abcdef";

function encodeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) {
      switch (ch) {
        case "\\":
        case '"':
          out += `\\${ch}`;
          break;
        case "\b":
          out += "\\b";
          break;
        case "\f":
          out += "\\f";
          break;
        case "\n":
          out += "\\n";
          break;
        case "\r":
          out += "\\r";
          break;
        case "\t":
          out += "\\t";
          break;
        default:
          out +=
            c < 0x20 || ch === "<" || ch === ">" || ch === "&" ? `\\u00${HEX[c >> 4]}${HEX[c & 15]}` : ch;
      }
    } else if (c === 0x2028 || c === 0x2029) {
      out += `\\u202${HEX[c & 15]}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += "\\ufffd";
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}
