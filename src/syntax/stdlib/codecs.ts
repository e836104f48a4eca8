/**
 * Go's base64 (`encoding/base64` StdEncoding and URLEncoding, padded) and query escaping (`net/url`
 * QueryEscape / QueryUnescape), with Go's error texts and offsets (which count UTF-8 bytes).
 */
import { quoteGo } from "../go-strconv.ts";

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A failure with Go's error text. */
export class GoCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoCodecError";
  }
}

/** Base64 of the UTF-8 bytes of `s`, padded; `urlSafe` uses `-` and `_`. */
export function base64Encode(s: string, urlSafe: boolean): string {
  const std = Buffer.from(s, "utf8").toString("base64");
  return urlSafe ? std.replaceAll("+", "-").replaceAll("/", "_") : std;
}

/**
 * Go `Encoding.DecodeString` (padding required; `\r` and `\n` are skipped). Errors are
 * `illegal base64 data at input byte N`.
 */
export function base64Decode(s: string, urlSafe: boolean): Buffer {
  const alphabet = urlSafe ? URL_SAFE : STD;
  const src = Buffer.from(s, "utf8");
  const out: number[] = [];
  const corrupt = (at: number) => new GoCodecError(`illegal base64 data at input byte ${at}`);
  const isNewline = (c: number | undefined) => c === 0x0a || c === 0x0d;
  let si = 0;
  while (si < src.length) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j); // a partial quantum: padding is required
      }
      const c = src[si] as number;
      si++;
      const v = alphabet.indexOf(String.fromCharCode(c));
      if (c < 0x80 && v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d) throw corrupt(si - 1);
      // Padding: only after 2 or 3 symbols, "==" after 2.
      if (j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) throw corrupt(si); // trailing garbage
      dlen = j;
      break;
    }
    const val =
      ((dbuf[0] as number) << 18) |
      ((dbuf[1] as number) << 12) |
      ((dbuf[2] as number) << 6) |
      (dbuf[3] as number);
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
  }
  return Buffer.from(out);
}

/** Go `url.QueryEscape`: space becomes `+`; only `A-Za-z0-9-_.~` stay as they are. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (b === 0x20) out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Go `url.QueryUnescape`: `+` becomes space; a bad escape gives `invalid URL escape "%zz"`. */
export function queryUnescape(s: string): Buffer {
  const src = Buffer.from(s, "utf8");
  const out: number[] = [];
  const isHex = (c: number | undefined) => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));
  for (let i = 0; i < src.length; ) {
    const c = src[i] as number;
    if (c === 0x25) {
      if (i + 2 >= src.length || !isHex(src[i + 1]) || !isHex(src[i + 2])) {
        const bad = src.subarray(i, Math.min(i + 3, src.length));
        throw new GoCodecError(`invalid URL escape ${quoteGoBytes(bad)}`);
      }
      out.push(Number.parseInt(src.subarray(i + 1, i + 3).toString("latin1"), 16));
      i += 3;
    } else {
      out.push(c === 0x2b ? 0x20 : c);
      i++;
    }
  }
  return Buffer.from(out);
}

/** Go `strconv.Quote` of raw bytes: valid UTF-8 as `quoteGo` prints it, each invalid byte as `\xNN`. */
function quoteGoBytes(bytes: Buffer): string {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const seq = len > 0 ? bytes.subarray(i, i + len) : undefined;
    const text = seq !== undefined && seq.length === len ? decodeStrict(seq) : undefined;
    if (text === undefined) {
      out += `\\x${b.toString(16).padStart(2, "0")}`;
      i++;
    } else {
      out += quoteGo(text).slice(1, -1);
      i += len;
    }
  }
  return `"${out}"`;
}

function decodeStrict(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Go's `string(bytes)` seen from JS: UTF-8, invalid sequences as U+FFFD. */
export function bytesToString(bytes: Buffer): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}
