/**
 * The body of an outgoing push: a `push.v1.PushRequest` with one series (Alloy's write sends one series per
 * request), encoded straight onto the wire.
 *
 * The profiles are the large part and pass through untouched, so the message is not built as an object and
 * serialized: the sizes are computed first, one buffer of exactly that size is allocated, and the labels and
 * each sample's bytes are written into it once. The bytes are those `toBinary(PushRequestSchema, …)` writes
 * for the same series (fields in number order, empty strings and bytes left out, as proto3 does): the test
 * beside this file checks it.
 */
import type { Label } from "./labels.ts";
import type { RawSample } from "./receiver.ts";

/** Field 1 and field 2, length-delimited (wire type 2). */
const FIELD_1 = 0x0a;
const FIELD_2 = 0x12;

/** Encodes `PushRequest { series: [{ labels, samples }] }`. */
export function encodePushBody(labels: readonly Label[], samples: readonly RawSample[]): Buffer {
  const labelSizes: number[] = [];
  const nameBytes: number[] = [];
  const valueBytes: number[] = [];
  let seriesSize = 0;
  for (const l of labels) {
    const n = Buffer.byteLength(l.name, "utf8");
    const v = Buffer.byteLength(l.value, "utf8");
    nameBytes.push(n);
    valueBytes.push(v);
    const size = fieldSize(n) + fieldSize(v);
    labelSizes.push(size);
    seriesSize += 1 + varintSize(size) + size;
  }
  const sampleSizes: number[] = [];
  const idBytes: number[] = [];
  for (const s of samples) {
    const id = Buffer.byteLength(s.id, "utf8");
    idBytes.push(id);
    const size = fieldSize(s.rawProfile.byteLength) + fieldSize(id);
    sampleSizes.push(size);
    seriesSize += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(1 + varintSize(seriesSize) + seriesSize);
  let at = 0;
  out[at++] = FIELD_1;
  at = writeVarint(out, at, seriesSize);
  labels.forEach((l, i) => {
    out[at++] = FIELD_1;
    at = writeVarint(out, at, labelSizes[i]!);
    at = writeString(out, at, FIELD_1, l.name, nameBytes[i]!);
    at = writeString(out, at, FIELD_2, l.value, valueBytes[i]!);
  });
  samples.forEach((s, i) => {
    out[at++] = FIELD_2;
    at = writeVarint(out, at, sampleSizes[i]!);
    const raw = s.rawProfile;
    if (raw.byteLength > 0) {
      out[at++] = FIELD_1;
      at = writeVarint(out, at, raw.byteLength);
      out.set(raw, at);
      at += raw.byteLength;
    }
    at = writeString(out, at, FIELD_2, s.id, idBytes[i]!);
  });
  return out;
}

/** The size of a length-delimited field holding `n` bytes; 0 when `n` is 0 (proto3 leaves it out). */
function fieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n) + n;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function writeString(out: Buffer, at: number, tag: number, s: string, bytes: number): number {
  if (bytes === 0) return at;
  out[at++] = tag;
  at = writeVarint(out, at, bytes);
  return at + out.write(s, at, bytes, "utf8");
}
