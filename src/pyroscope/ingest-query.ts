/**
 * The query string of a legacy `/ingest` upload (`name`, `from`, `until`, `format`, `sampleRate`, `spyName`,
 * `units`, `aggregationType`, and whatever else a client sends).
 *
 * Values are read with Go's `url.ParseQuery` rules, as Pyroscope and Alloy read them: pairs split on `&`, key and
 * value at the first `=`, `+` is a space, `%XX` escapes; a pair with a raw `;` or a bad `%` escape is ignored.
 *
 * For forwarding, `withName` replaces `name` and keeps every other pair as it arrived, in its original order and
 * bytes (`toString`). Alloy instead re-encodes the whole query in Go's canonical form (keys sorted, malformed pairs
 * dropped); `toCanonicalString` produces exactly that, for callers that want Alloy's bytes.
 */

import { BoundedCache } from "./bounded-cache.ts";

/** The parameters Pyroscope's `/ingest` handler reads (raw decoded values; Pyroscope's defaults are noted). */
export interface IngestParams {
  /** `app.name{k=v,...}`; required by Pyroscope (400 when missing). */
  readonly name: string | undefined;
  /** Start time (default now): Unix s/ms/µs/ns by digit count, `YYYYMMDD`, or `now-1h` style. */
  readonly from: string | undefined;
  /** End time (default now), as `from`. */
  readonly until: string | undefined;
  /** Body format: `pprof`, `jfr`, `trie`, `tree`, `lines`, `speedscope`; absent = multipart pprof or folded. */
  readonly format: string | undefined;
  /** Samples per second (default 100). */
  readonly sampleRate: string | undefined;
  /** The SDK kind (default `unknown`), e.g. `gospy`, `nodespy`, `javaspy`, `pyspy`. */
  readonly spyName: string | undefined;
  /** Legacy, ignored by current servers (default `samples`). */
  readonly units: string | undefined;
  /** Legacy, ignored by current servers (default `sum`). */
  readonly aggregationType: string | undefined;
}

interface Pair {
  /** The segment between `&`s exactly as received. */
  readonly raw: string;
  /** Decoded key and value, as text and (lazily) as bytes; undefined when Go would ignore the pair. */
  readonly decoded: Decoded | undefined;
  /**
   * The key when the segment is made of unreserved characters only (`key=value`, what SDKs send): then the
   * segment is its own canonical encoding, and the canonical query needs no decoding or escaping.
   */
  readonly plainKey?: string | undefined;
}

/**
 * A segment that Go's `Encode` writes the same: a key of unreserved characters, `=`, and a value of unreserved
 * characters, `+` and upper-case `%XX` escapes (of bytes that must be escaped: see `isCanonicalEscape`).
 */
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~]+=(?:[A-Za-z0-9\-._~+]|%[0-9A-F]{2})*$/;

const utf8 = new TextDecoder();

/**
 * `name` segments as received and `name` values as set, to their pairs: the same application sends the same
 * `name` on every upload, so it is decoded and escaped once (pairs are immutable).
 */
const NAME_SEGMENTS = new BoundedCache<string, Pair>(4096);
const NAME_VALUES = new BoundedCache<string, Pair>(4096);
const utf8Encoder = new TextEncoder();

/**
 * A readable pair's key and value. The text is what `get` returns; the bytes (which may not be valid UTF-8)
 * are what the canonical encoding escapes. A segment without `%` or `+` is its own text, so its bytes are only
 * made when the canonical encoding needs them.
 */
class Decoded {
  readonly key: string;
  readonly value: string;
  #bytes: { readonly key: Uint8Array; readonly value: Uint8Array } | undefined;

  constructor(key: string, value: string, bytes?: { readonly key: Uint8Array; readonly value: Uint8Array }) {
    this.key = key;
    this.value = value;
    this.#bytes = bytes;
  }

  get bytes(): { readonly key: Uint8Array; readonly value: Uint8Array } {
    this.#bytes ??= { key: utf8Encoder.encode(this.key), value: utf8Encoder.encode(this.value) };
    return this.#bytes;
  }
}

/** An `/ingest` query: Go-compatible reading, order- and byte-preserving rewriting of `name`. */
export class IngestQuery {
  readonly #pairs: readonly Pair[];

  private constructor(pairs: readonly Pair[]) {
    this.#pairs = pairs;
  }

  /** Parses a raw query string (with or without the leading `?`, still percent-encoded). */
  static parse(raw: string): IngestQuery {
    const query = raw.startsWith("?") ? raw.slice(1) : raw;
    if (query === "") {
      return new IngestQuery([]);
    }
    return new IngestQuery(query.split("&").map(segmentPair));
  }

  /** Go `url.Values.Get`: the first value of `key` among the readable pairs, or undefined when absent. */
  get(key: string): string | undefined {
    for (const p of this.#pairs) {
      if (keyOf(p) === key) {
        return p.decoded!.value;
      }
    }
    return undefined;
  }

  /** Every value of `key`, in order. */
  getAll(key: string): string[] {
    const out: string[] = [];
    for (const p of this.#pairs) {
      if (keyOf(p) === key) {
        out.push(p.decoded!.value);
      }
    }
    return out;
  }

  /** The `name` parameter (first value), as receive_http reads it. */
  get name(): string | undefined {
    return this.get("name");
  }

  /** The parameters Pyroscope knows, first value each. */
  params(): IngestParams {
    return {
      name: this.get("name"),
      from: this.get("from"),
      until: this.get("until"),
      format: this.get("format"),
      sampleRate: this.get("sampleRate"),
      spyName: this.get("spyName"),
      units: this.get("units"),
      aggregationType: this.get("aggregationType"),
    };
  }

  /**
   * A copy with `name` set to `value` (Go `url.Values.Set`): the first `name` pair is replaced in place by
   * `name=<escaped value>`, any other `name` pairs are removed, or it is appended when there was none. Every
   * other pair is kept byte for byte.
   */
  withName(value: string): IngestQuery {
    const pair = namePair(value);
    const out: Pair[] = [];
    let placed = false;
    for (const p of this.#pairs) {
      if (isNamePair(p)) {
        if (!placed) {
          out.push(pair);
          placed = true;
        }
      } else {
        out.push(p);
      }
    }
    if (!placed) {
      out.push(pair);
    }
    return new IngestQuery(out);
  }

  /**
   * `withName(value).toCanonicalString()` in one pass, for the usual query whose pairs are all canonical
   * already: the pairs are put in key order as they are read, without the intermediate query.
   */
  canonicalWithName(value: string): string {
    const name = namePair(value);
    const keys: string[] = [];
    const raws: string[] = [];
    let placed = false;
    for (const p of this.#pairs) {
      let pair = p;
      if (isNamePair(p)) {
        if (placed) continue;
        pair = name;
        placed = true;
      }
      if (pair.plainKey === undefined) return this.withName(value).toCanonicalString();
      insertByKey(keys, raws, pair.plainKey, pair.raw);
    }
    if (!placed) {
      if (name.plainKey === undefined) return this.withName(value).toCanonicalString();
      insertByKey(keys, raws, name.plainKey, name.raw);
    }
    return raws.join("&");
  }

  /** The query as received (without `?`), except for a `name` replaced by `withName`. */
  toString(): string {
    return this.#pairs.map((p) => p.raw).join("&");
  }

  /**
   * Go `url.Values.Encode()` of the readable pairs, which is what Alloy sends: keys sorted by bytes, values in
   * order, `QueryEscape` escaping (`+` for space, only `A-Za-z0-9-_.~` unescaped).
   */
  toCanonicalString(): string {
    if (this.#pairs.every((p) => p.plainKey !== undefined)) {
      // the usual case: every pair is already canonical; only the order by key (stable) changes
      return [...this.#pairs]
        .sort((a, b) => (a.plainKey! < b.plainKey! ? -1 : a.plainKey! > b.plainKey! ? 1 : 0))
        .map((p) => p.raw)
        .join("&");
    }
    const byKey = new Map<string, { key: Uint8Array; values: Uint8Array[] }>();
    for (const p of this.#pairs) {
      if (p.decoded === undefined) {
        continue;
      }
      const bytes = p.decoded.bytes;
      const id = Buffer.from(bytes.key).toString("latin1");
      const entry = byKey.get(id) ?? { key: bytes.key, values: [] };
      entry.values.push(bytes.value);
      byKey.set(id, entry);
    }
    const entries = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key));
    const parts: string[] = [];
    for (const { key, values } of entries) {
      const k = queryEscape(key);
      for (const v of values) {
        parts.push(`${k}=${queryEscape(v)}`);
      }
    }
    return parts.join("&");
  }
}

/** The `name=<escaped value>` pair (Go `url.Values.Set("name", value)`), remembered per value. */
function namePair(value: string): Pair {
  let pair = NAME_VALUES.get(value);
  if (pair === undefined) {
    pair = pairOf(`name=${queryEscape(utf8Encoder.encode(value))}`);
    NAME_VALUES.set(value, pair);
  }
  return pair;
}

/**
 * Inserts a pair into `keys`/`raws`, kept in byte order of the keys (the keys are ASCII here, so code unit
 * order is byte order), after any equal key: a stable sort, as Go's `Encode` keeps the values of a key in order.
 */
function insertByKey(keys: string[], raws: string[], key: string, raw: string): void {
  let i = keys.length;
  keys.push(key);
  raws.push(raw);
  while (i > 0 && keys[i - 1]! > key) {
    keys[i] = keys[i - 1]!;
    raws[i] = raws[i - 1]!;
    i--;
  }
  keys[i] = key;
  raws[i] = raw;
}

function isNamePair(p: Pair): boolean {
  const readable = keyOf(p);
  if (readable !== undefined) {
    return readable === "name";
  }
  // An unreadable pair whose key still reads as `name` (e.g. `name=%zz`) is replaced as well.
  const eq = p.raw.indexOf("=");
  const key = queryUnescape(eq < 0 ? p.raw : p.raw.slice(0, eq));
  return key !== undefined && utf8.decode(key) === "name";
}

/** `pairOf`, remembering `name` segments (the long, escaped one that repeats). */
function segmentPair(segment: string): Pair {
  if (!segment.startsWith("name=")) return pairOf(segment);
  let pair = NAME_SEGMENTS.get(segment);
  if (pair === undefined) {
    pair = pairOf(segment);
    NAME_SEGMENTS.set(segment, pair);
  }
  return pair;
}

/** The decoded key of a readable pair, undefined when Go would ignore the pair. */
function keyOf(p: Pair): string | undefined {
  return p.plainKey ?? p.decoded?.key;
}

/**
 * A `key=value` segment of unreserved characters: the key is the segment's start, and the decoded pair (the
 * value is read for `name` only, usually) is made when asked for.
 */
class PlainPair implements Pair {
  readonly raw: string;
  readonly plainKey: string;
  #decoded: Decoded | undefined;

  constructor(raw: string, key: string) {
    this.raw = raw;
    this.plainKey = key;
  }

  get decoded(): Decoded {
    this.#decoded ??= new Decoded(this.plainKey, this.raw.slice(this.plainKey.length + 1));
    return this.#decoded;
  }
}

function pairOf(segment: string): Pair {
  const eq = plainKeyEnd(segment);
  if (eq > 0) {
    // `key=value` of unreserved characters: its own decoding and its own canonical encoding
    const key = segment.slice(0, eq);
    return new PlainPair(segment, key);
  }
  const decoded = decodePair(segment);
  if (decoded !== undefined && PLAIN_SEGMENT.test(segment) && escapesAreCanonical(segment)) {
    return { raw: segment, decoded, plainKey: segment.slice(0, segment.indexOf("=")) };
  }
  return { raw: segment, decoded };
}

/**
 * For a segment made of a key of unreserved characters (`A-Za-z0-9-._~`), `=`, and a value of unreserved
 * characters, the index of the `=`; else -1 (the segment then goes the general way).
 */
function plainKeyEnd(segment: string): number {
  let eq = -1;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x3d) {
      if (eq >= 0 || i === 0) return -1;
      eq = i;
    } else if (!isUnreserved(c)) {
      return -1;
    }
  }
  return eq;
}

/** Whether every `%XX` in a segment escapes a byte Go's `QueryEscape` escapes (not `%41` for `A`, `%20` for ` `). */
function escapesAreCanonical(segment: string): boolean {
  for (let i = segment.indexOf("%"); i >= 0; i = segment.indexOf("%", i + 3)) {
    const byte = Number.parseInt(segment.slice(i + 1, i + 3), 16);
    if (byte === 0x20 || isUnreserved(byte)) return false;
  }
  return true;
}

/** Go `parseQuery` for one `&`-separated segment: undefined when Go skips it. */
function decodePair(segment: string): Decoded | undefined {
  if (segment === "" || segment.includes(";")) {
    return undefined;
  }
  const eq = segment.indexOf("=");
  const rawKey = eq < 0 ? segment : segment.slice(0, eq);
  const rawValue = eq < 0 ? "" : segment.slice(eq + 1);
  if (!segment.includes("%") && !segment.includes("+")) {
    return new Decoded(rawKey, rawValue);
  }
  const key = queryUnescape(rawKey);
  const value = queryUnescape(rawValue);
  return key === undefined || value === undefined
    ? undefined
    : new Decoded(utf8.decode(key), utf8.decode(value), { key, value });
}

/** Go `url.QueryUnescape` to bytes: `+` → space, `%XX` → byte; undefined on a malformed escape. */
function queryUnescape(s: string): Uint8Array | undefined {
  if (!s.includes("%") && !s.includes("+")) {
    return utf8Encoder.encode(s);
  }
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit === 0x25) {
      // `%XX`: per character, no slicing or regular expression (this runs on every forwarded /ingest)
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) {
        return undefined;
      }
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (unit === 0x2b) {
      bytes.push(0x20);
    } else if (unit < 0x80) {
      bytes.push(unit);
    } else {
      const code = s.codePointAt(i)!;
      if (code > 0xffff) {
        i++;
      }
      bytes.push(...utf8Encoder.encode(String.fromCodePoint(code)));
    }
  }
  return new Uint8Array(bytes);
}

/** The value of a hex digit's UTF-16 code unit, or -1 (also for NaN: past the end of the string). */
function hexValue(unit: number): number {
  if (unit >= 0x30 && unit <= 0x39) return unit - 0x30;
  if (unit >= 0x41 && unit <= 0x46) return unit - 0x37;
  if (unit >= 0x61 && unit <= 0x66) return unit - 0x57;
  return -1;
}

/** The bytes Go's `QueryEscape` leaves as they are: `A-Za-z0-9-_.~`. */
function isUnreserved(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d ||
    b === 0x2e ||
    b === 0x5f ||
    b === 0x7e
  );
}

/** Go `url.QueryEscape` of bytes. */
function queryEscape(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (isUnreserved(b)) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) {
      out += "+";
    } else {
      out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}
