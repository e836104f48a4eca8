/**
 * Decoding helpers for assertions on profiles: gzip sniffing, pprof decoding (with `pprof-format`), a short
 * summary of a profile, and a minimal multipart reader for the SDK upload bodies.
 */
import { gunzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { Profile } from "pprof-format";
import { type PushRequest, PushRequestSchema } from "../../src/pyroscope/gen/push/v1/push_pb.ts";

/** True when the bytes start with the gzip magic `1f 8b` (how Pyroscope decides). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The bytes, gunzipped when they are gzip. */
export function maybeGunzip(bytes: Uint8Array): Uint8Array {
  return isGzip(bytes) ? plainView(gunzipSync(bytes)) : plainView(bytes);
}

/**
 * A plain `Uint8Array` view of the same memory (no copy). Decoded `bytes` fields are views of the input, so a
 * `Buffer` input would yield `Buffer`s, which `assert.deepStrictEqual` does not equate with `Uint8Array`s.
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a pprof profile, gzipped or plain. Throws on bytes that are not a pprof. */
export function decodePprof(bytes: Uint8Array): Profile {
  return Profile.decode(maybeGunzip(bytes));
}

/** The facts tests usually assert on. */
export interface PprofSummary {
  /** `type/unit` per sample type, e.g. `["samples/count", "cpu/nanoseconds"]`. */
  readonly sampleTypes: readonly string[];
  /** `type/unit` of the period type, or undefined. */
  readonly periodType: string | undefined;
  readonly period: number;
  readonly samples: number;
  readonly timeNanos: bigint;
  /** The distinct sample label keys. */
  readonly labelKeys: readonly string[];
}

/** Summarises a pprof profile (gzipped or plain). */
export function summarizePprof(bytes: Uint8Array): PprofSummary {
  const p = decodePprof(bytes);
  const str = (i: number | bigint): string => p.stringTable.strings[Number(i)] ?? "";
  const keys = new Set<string>();
  for (const s of p.sample) {
    for (const l of s.label) {
      keys.add(str(l.key));
    }
  }
  return {
    sampleTypes: p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
    periodType:
      p.periodType === undefined ? undefined : `${str(p.periodType.type)}/${str(p.periodType.unit)}`,
    period: Number(p.period),
    samples: p.sample.length,
    timeNanos: BigInt(p.timeNanos),
    labelKeys: [...keys].sort(),
  };
}

/** Decodes a binary `push.v1.PushRequest` (gunzipping the whole body first when it is gzip). */
export function decodePushRequest(bytes: Uint8Array): PushRequest {
  return fromBinary(PushRequestSchema, maybeGunzip(bytes));
}

/** One part of a `multipart/form-data` body. */
export interface MultipartPart {
  readonly name: string | undefined;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** Splits a `multipart/form-data` body; `contentType` is the header value carrying the boundary. */
export function parseMultipart(body: Uint8Array, contentType: string): MultipartPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (boundary === undefined) {
    throw new Error(`no boundary in ${contentType}`);
  }
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = buf.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (buf.subarray(start, start + 2).toString() === "--") {
      break;
    }
    const next = buf.indexOf(delimiter, start);
    if (next < 0) {
      throw new Error("unterminated multipart body");
    }
    const part = buf.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, headerEnd).toString("utf8");
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? "";
    parts.push({
      name: /\bname="([^"]*)"/.exec(disposition)?.[1],
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1],
      contentType: /^content-type:\s*(.*)$/im.exec(headers)?.[1]?.trim(),
      body: part.subarray(headerEnd + 4),
    });
    pos = next;
  }
  return parts;
}
