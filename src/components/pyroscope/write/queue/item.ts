/**
 * A queued profile and its encoding as a record payload.
 *
 * An item is what every endpoint will be sent, prepared once when the profile arrives: for a push, the series
 * labels (external labels already applied) and the samples with their IDs; for an ingest, the body, its
 * content types, path and the query with `name` rebuilt. Both keep the forwarded headers, the receive time
 * and an ID.
 *
 * Payload layout (little endian; strings are a u32 byte length and UTF-8):
 *
 * ```
 * u8 version (1) · u8 kind (1 push, 2 ingest) · f64 received at (ms since the epoch) · str id
 * u16 header count · (str name, str value)*
 * push:   u16 label count · (str name, str value)* · u32 sample count · (str id, u32 size)*
 * ingest: u16 content-type count · str* · str path · str query · u32 body size
 * then the profile bytes (each sample's, or the body), as they arrived
 * ```
 *
 * The metadata is one small buffer; the profile bytes are never copied or re-encoded on the way in, and on
 * the way out `decodeItem` returns views into the buffer it is given.
 */
import type { Label } from "../../../../pyroscope/labels.ts";
import type { RawSample } from "../../../../pyroscope/receiver.ts";

const VERSION = 1;
const KIND_PUSH = 1;
const KIND_INGEST = 2;
/** The header-list entry that holds an item's tenant (`:` is not allowed in header names). */
const TENANT_ENTRY = ":tenant";

interface ItemBase {
  /** The queue's ID of the item (logs, dead letters). */
  readonly id: string;
  /** When the profile was accepted, ms since the epoch. */
  readonly receivedAt: number;
  /** Forwarded request headers (lower-case names). */
  readonly headers: readonly (readonly [string, string])[];
  /** The tenant from the profile's `__tenant_id__` label, if any. */
  readonly tenant?: string | undefined;
}

/** A push series: labels as sent, samples with their IDs. */
export interface PushItem extends ItemBase {
  readonly kind: "push";
  readonly labels: readonly Label[];
  readonly samples: readonly RawSample[];
}

/** An `/ingest` upload: the body as received, the rebuilt query. */
export interface IngestItem extends ItemBase {
  readonly kind: "ingest";
  readonly body: Uint8Array;
  readonly contentType: readonly string[];
  readonly path: string;
  readonly query: string;
}

/** One queued profile. */
export type QueueItem = PushItem | IngestItem;

/** The profile bytes an item carries (what the write metrics count). */
export function itemBytes(item: QueueItem): number {
  if (item.kind === "ingest") return item.body.byteLength;
  let n = 0;
  for (const s of item.samples) n += s.rawProfile.byteLength;
  return n;
}

/** How many profiles an item counts as in the write metrics (Alloy counts a push series' samples). */
export function itemProfiles(item: QueueItem): number {
  return item.kind === "ingest" ? 1 : item.samples.length;
}

/** Encodes an item as payload parts: the metadata buffer, then the profile bytes as they are. */
export function encodeItem(item: QueueItem): Uint8Array[] {
  const w = new Writer();
  w.u8(VERSION);
  w.u8(item.kind === "push" ? KIND_PUSH : KIND_INGEST);
  w.f64(item.receivedAt);
  w.str(item.id);
  // the tenant travels as a header entry with a name no HTTP header can have, so records stay version 1
  w.pairs(item.tenant === undefined ? item.headers : [...item.headers, [TENANT_ENTRY, item.tenant]]);
  if (item.kind === "push") {
    w.pairs(item.labels.map((l) => [l.name, l.value] as const));
    w.u32(item.samples.length);
    for (const s of item.samples) {
      w.str(s.id);
      w.u32(s.rawProfile.byteLength);
    }
    return [w.finish(), ...item.samples.map((s) => s.rawProfile)];
  }
  w.u16(item.contentType.length);
  for (const c of item.contentType) w.str(c);
  w.str(item.path);
  w.str(item.query);
  w.u32(item.body.byteLength);
  return [w.finish(), item.body];
}

/** Decodes a payload; profile bytes are views into `payload`. Throws on a payload that does not decode. */
export function decodeItem(payload: Buffer): QueueItem {
  const r = new Reader(payload);
  const version = r.u8();
  if (version !== VERSION) throw new Error(`unknown record version ${version}`);
  const kind = r.u8();
  const receivedAt = r.f64();
  const id = r.str();
  const entries = r.pairs();
  const headers = entries.filter(([name]) => name !== TENANT_ENTRY);
  const tenant = entries.find(([name]) => name === TENANT_ENTRY)?.[1];
  if (kind === KIND_PUSH) {
    const labels = r.pairs().map(([name, value]) => ({ name, value }));
    const count = r.u32();
    const meta: { id: string; size: number }[] = [];
    for (let i = 0; i < count; i++) meta.push({ id: r.str(), size: r.u32() });
    const samples = meta.map((m) => ({ id: m.id, rawProfile: r.bytes(m.size) }));
    r.end();
    return {
      kind: "push",
      id,
      receivedAt,
      headers,
      labels,
      samples,
      ...(tenant === undefined ? {} : { tenant }),
    };
  }
  if (kind === KIND_INGEST) {
    const n = r.u16();
    const contentType: string[] = [];
    for (let i = 0; i < n; i++) contentType.push(r.str());
    const path = r.str();
    const query = r.str();
    const body = r.bytes(r.u32());
    r.end();
    const ingest: IngestItem = { kind: "ingest", id, receivedAt, headers, body, contentType, path, query };
    return tenant === undefined ? ingest : { ...ingest, tenant };
  }
  throw new Error(`unknown record kind ${kind}`);
}

/** Grows a metadata buffer. */
class Writer {
  #buf = Buffer.allocUnsafe(256);
  #at = 0;

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf.writeUInt8(v, this.#at);
    this.#at += 1;
  }

  u16(v: number): void {
    if (v > 0xffff) throw new RangeError("too many entries in a record");
    this.#room(2);
    this.#buf.writeUInt16LE(v, this.#at);
    this.#at += 2;
  }

  u32(v: number): void {
    this.#room(4);
    this.#buf.writeUInt32LE(v, this.#at);
    this.#at += 4;
  }

  f64(v: number): void {
    this.#room(8);
    this.#buf.writeDoubleLE(v, this.#at);
    this.#at += 8;
  }

  str(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.u32(n);
    this.#room(n);
    this.#buf.write(s, this.#at, n, "utf8");
    this.#at += n;
  }

  pairs(list: readonly (readonly [string, string])[]): void {
    this.u16(list.length);
    for (const [a, b] of list) {
      this.str(a);
      this.str(b);
    }
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#at);
  }
}

/** Reads a payload, failing on any read past its end. */
class Reader {
  readonly #buf: Buffer;
  #at = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  #need(n: number): void {
    if (this.#at + n > this.#buf.length) throw new Error("record payload is truncated");
  }

  u8(): number {
    this.#need(1);
    const v = this.#buf.readUInt8(this.#at);
    this.#at += 1;
    return v;
  }

  u16(): number {
    this.#need(2);
    const v = this.#buf.readUInt16LE(this.#at);
    this.#at += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#buf.readUInt32LE(this.#at);
    this.#at += 4;
    return v;
  }

  f64(): number {
    this.#need(8);
    const v = this.#buf.readDoubleLE(this.#at);
    this.#at += 8;
    return v;
  }

  str(): string {
    const n = this.u32();
    this.#need(n);
    const s = this.#buf.toString("utf8", this.#at, this.#at + n);
    this.#at += n;
    return s;
  }

  bytes(n: number): Buffer {
    this.#need(n);
    const b = this.#buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return b;
  }

  pairs(): [string, string][] {
    const n = this.u16();
    const out: [string, string][] = [];
    for (let i = 0; i < n; i++) out.push([this.str(), this.str()]);
    return out;
  }

  end(): void {
    if (this.#at !== this.#buf.length) throw new Error("record payload has trailing bytes");
  }
}
