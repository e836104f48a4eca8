/**
 * Record framing of the queue's log: every record on disk is
 *
 * ```
 * magic   u32 LE  0x31515250 ("PRQ1")
 * length  u32 LE  payload bytes
 * crc32   u32 LE  CRC-32 (zlib) of the 4 length bytes followed by the payload
 * payload length bytes
 * ```
 *
 * The checksum covers the length too, so a flipped length is caught like a flipped payload byte. The magic
 * lets a reader find the next record after damaged bytes (`findFrame`). The payload's parts are passed on as
 * the buffers they are (no copy): the header is computed over them, and the log writes all parts with one
 * `writev`.
 */
import { crc32 } from "node:zlib";

/** The first four bytes of every record. */
export const FRAME_MAGIC = 0x31515250;

/** Bytes before the payload. */
export const FRAME_HEADER_BYTES = 12;

/** Largest payload a frame may carry (the length field is 32 bits; keep well under it). */
export const MAX_PAYLOAD_BYTES = 0x7fff_0000;

const MAGIC_BYTES = Buffer.from([0x50, 0x52, 0x51, 0x31]);

/** A record ready to write: its parts (header first) and their total size. */
export interface Frame {
  readonly parts: readonly Uint8Array[];
  readonly length: number;
}

/** Frames `payload` (given as parts, written in order): computes the header, keeps the parts as they are. */
export function frame(payload: readonly Uint8Array[]): Frame {
  let size = 0;
  for (const p of payload) size += p.byteLength;
  if (size > MAX_PAYLOAD_BYTES) throw new RangeError(`record payload of ${size} bytes is too large`);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32LE(FRAME_MAGIC, 0);
  header.writeUInt32LE(size, 4);
  let crc = crc32(header.subarray(4, 8));
  for (const p of payload) crc = crc32(p, crc);
  header.writeUInt32LE(crc, 8);
  return { parts: [header, ...payload], length: FRAME_HEADER_BYTES + size };
}

/**
 * What is at `offset` in `buf`:
 * - `ok`: a whole record whose checksum matches; the payload is `buf[payloadStart, end)`;
 * - `short`: the header or the payload runs past the end of `buf` (a torn write when `buf` is a file's end);
 * - `bad`: not a record (wrong magic, or a checksum that does not match).
 */
export type FrameCheck =
  | { readonly kind: "ok"; readonly payloadStart: number; readonly end: number }
  | { readonly kind: "short" }
  | { readonly kind: "bad" };

/** Checks the record that should start at `offset`. */
export function checkFrame(buf: Buffer, offset: number): FrameCheck {
  if (offset + FRAME_HEADER_BYTES > buf.length) return { kind: "short" };
  if (buf.readUInt32LE(offset) !== FRAME_MAGIC) return { kind: "bad" };
  const length = buf.readUInt32LE(offset + 4);
  if (length > MAX_PAYLOAD_BYTES) return { kind: "bad" };
  const payloadStart = offset + FRAME_HEADER_BYTES;
  const end = payloadStart + length;
  if (end > buf.length) return { kind: "short" };
  let crc = crc32(buf.subarray(offset + 4, offset + 8));
  crc = crc32(buf.subarray(payloadStart, end), crc);
  if (crc !== buf.readUInt32LE(offset + 8)) return { kind: "bad" };
  return { kind: "ok", payloadStart, end };
}

/** The offset of the first whole, valid record at or after `from`, or -1: how a reader resyncs. */
export function findFrame(buf: Buffer, from: number): number {
  let at = buf.indexOf(MAGIC_BYTES, from);
  while (at >= 0) {
    if (checkFrame(buf, at).kind === "ok") return at;
    at = buf.indexOf(MAGIC_BYTES, at + 1);
  }
  return -1;
}
