/**
 * The two things capture and replay need from a pprof profile, read and written at the protobuf wire level so
 * the rest of the profile passes through untouched (and no pprof library is needed at run time):
 * - `pprofSampleTypes`: the sample type names, to tell a person (and `ls`) what kind of profile it is;
 * - `withTimeNanos`: the same profile with `time_nanos` replaced, for `replay --rewrite-time`.
 *
 * Also the gzip sniffing every profile path shares (Pyroscope decides by the magic bytes `1f 8b`).
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** `Profile.sample_type` (repeated `ValueType`). */
const SAMPLE_TYPE_FIELD = 1;
/** `Profile.string_table` (repeated string). */
const STRING_TABLE_FIELD = 6;
/** `Profile.time_nanos` (int64). */
const TIME_NANOS_FIELD = 9;
/** `ValueType.type` (int64 index into the string table). */
const VALUE_TYPE_TYPE_FIELD = 1;

/** Pyroscope's limit on a decompressed profile; larger ones are not worth decoding here. */
const MAX_DECOMPRESSED = 64 * 1024 * 1024;

/** True when the bytes start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The bytes gunzipped when they are gzip, else the bytes themselves. Throws on a corrupt gzip stream. */
export function maybeGunzip(bytes: Uint8Array): Uint8Array {
  return isGzip(bytes) ? gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED }) : bytes;
}

/** Gzips bytes (default level), as Go's pprof writer does. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}

/**
 * The sample type names of a pprof profile (gzipped or plain), in order, e.g. `["samples", "cpu"]`. Throws when
 * the bytes are not a readable protobuf message.
 */
export function pprofSampleTypes(bytes: Uint8Array): string[] {
  const reader = new BinaryReader(maybeGunzip(bytes));
  const typeIndexes: number[] = [];
  const strings: string[] = [];
  const decoder = new TextDecoder();
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === SAMPLE_TYPE_FIELD && wireType === WireType.LengthDelimited) {
      typeIndexes.push(valueTypeIndex(reader.bytes()));
    } else if (fieldNo === STRING_TABLE_FIELD && wireType === WireType.LengthDelimited) {
      strings.push(decoder.decode(reader.bytes()));
    } else {
      reader.skip(wireType, fieldNo);
    }
  }
  return typeIndexes.map((i) => strings[i] ?? "");
}

function valueTypeIndex(message: Uint8Array): number {
  const reader = new BinaryReader(message);
  let index = 0;
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === VALUE_TYPE_TYPE_FIELD && wireType === WireType.Varint) {
      index = Number(reader.int64());
    } else {
      reader.skip(wireType, fieldNo);
    }
  }
  return index;
}

/** The `time_nanos` of a pprof profile (gzipped or plain); 0 when absent. */
export function pprofTimeNanos(bytes: Uint8Array): bigint {
  const reader = new BinaryReader(maybeGunzip(bytes));
  let time = 0n;
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === TIME_NANOS_FIELD && wireType === WireType.Varint) {
      time = BigInt(reader.int64());
    } else {
      reader.skip(wireType, fieldNo);
    }
  }
  return time;
}

/**
 * The same profile with `time_nanos` set to `timeNanos`: every other field is copied byte for byte, the new
 * field is appended, and the result is gzipped again when the input was. A profile whose `time_nanos` is 0 (or
 * absent) is returned unchanged, because Pyroscope already stamps those with the time it receives them.
 */
export function withTimeNanos(bytes: Uint8Array, timeNanos: bigint): Uint8Array {
  const gzipped = isGzip(bytes);
  const plain = maybeGunzip(bytes);
  const reader = new BinaryReader(plain);
  const writer = new BinaryWriter();
  let had = false;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === TIME_NANOS_FIELD && wireType === WireType.Varint) {
      had = BigInt(reader.int64()) !== 0n || had;
      continue;
    }
    reader.skip(wireType, fieldNo);
    writer.raw(plain.subarray(start, reader.pos));
  }
  if (!had) {
    return bytes;
  }
  writer.tag(TIME_NANOS_FIELD, WireType.Varint).int64(timeNanos);
  const out = writer.finish();
  return gzipped ? gzip(out) : out;
}
