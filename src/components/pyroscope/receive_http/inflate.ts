/**
 * What connect's handler makes of a push body, counted against `max_inflight_body_size` before it is
 * allocated: the copy of the body it reads (connect always copies it once), what a gzip body inflates to, and
 * what a JSON body decodes to.
 *
 * connect-node's gzip inflates a whole message before anything looks at its size, bounded only by
 * `max_request_body_size`: a 250 KiB body can inflate to 256 MiB, while the in-flight budget has counted
 * only the 250 KiB that arrived. Here the size the gzip trailer declares is checked against the limit and
 * reserved before inflating, and zlib inflates into one buffer of that size; a stream that inflates to more
 * than it declared continues into a `BudgetedBuffer` reserved as it grows. A body that would inflate past
 * the limit gets `resource_exhausted` as connect-node words it, one past what is left of the budget gets
 * `resource_exhausted` + `Retry-After` (as a body over the budget does), before it is inflated.
 *
 * JSON decoding takes several times the body: the text, `JSON.parse`'s tree, then the message with its bytes
 * fields decoded. `JSON_DECODE_FACTOR` times the body is reserved before decoding starts; a JSON body that
 * cannot fit even in an empty budget is refused for good (no `Retry-After`): send it as binary protobuf.
 *
 * The request's reservation travels with the request through connect-es (which calls `decompress` and the
 * text decoder without any request context) in an `AsyncLocalStorage`; the push handler releases it when
 * the request is done.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createGunzip } from "node:zlib";
import type { JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionGzip } from "@connectrpc/connect-node";
import { BudgetedBuffer } from "./budgeted-buffer.ts";
import type { InflightBudget } from "./limits.ts";

/** The bytes one request holds of the budget for what connect makes of its body (copied, inflated, decoded). */
export class InflateReservation {
  readonly budget: InflightBudget;
  #reserved = 0;

  constructor(budget: InflightBudget) {
    this.budget = budget;
  }

  /** Reserves `bytes` more if the budget allows it. */
  tryReserve(bytes: number): boolean {
    if (!this.budget.tryReserve(bytes)) return false;
    this.#reserved += bytes;
    return true;
  }

  /** Takes over bytes already reserved from the same budget (given back by `release`). */
  adopt(bytes: number): void {
    this.#reserved += bytes;
  }

  /** Gives back everything reserved so far. */
  release(): void {
    this.budget.release(this.#reserved);
    this.#reserved = 0;
  }
}

const current = new AsyncLocalStorage<InflateReservation>();

/** Runs `fn` (a whole push request) with `reservation` counting what connect's handler makes of its body. */
export function withInflateReservation<T>(reservation: InflateReservation, fn: () => Promise<T>): Promise<T> {
  return current.run(reservation, fn);
}

/** The message connect-node gives a body over `readMaxBytes` once inflated (kept identical). */
function tooLarge(readMaxBytes: number): ConnectError {
  return new ConnectError(
    `message is larger than configured readMaxBytes ${readMaxBytes} after decompression`,
    Code.ResourceExhausted,
  );
}

function overBudget(limit: number): ConnectError {
  return new ConnectError(
    `too many request bytes in flight: the limit is ${limit} bytes (max_inflight_body_size), try again later`,
    Code.ResourceExhausted,
    { "Retry-After": "1" },
  );
}

/** connect-node's classification of a zlib failure: corrupt input is `invalid_argument`. */
function inflateFailed(err: unknown): ConnectError {
  const code = (err as { code?: unknown }).code;
  const badInput =
    code === "Z_DATA_ERROR" ||
    code === "ERR_PADDING_2" ||
    (typeof code === "string" && code.startsWith("ERR__ERROR_FORMAT_"));
  return new ConnectError(
    "decompression failed",
    badInput ? Code.InvalidArgument : Code.Internal,
    undefined,
    undefined,
    err,
  );
}

function inflate(
  bytes: Uint8Array,
  readMaxBytes: number,
  reservation: InflateReservation,
): Promise<Uint8Array<ArrayBuffer>> {
  const budget = reservation.budget;
  // RFC 1952's ISIZE: a gzip stream inflates to at least what its (last) member declares
  const declared = declaredInflatedSize(bytes);
  if (declared !== undefined && readMaxBytes > 0 && declared > readMaxBytes) {
    return Promise.reject(tooLarge(readMaxBytes));
  }
  // zlib's output buffer, sized so that an honest stream inflates into it in one piece (no copy); at least
  // INFLATE_CHUNK_BYTES (a stream that understates its size must not inflate in tiny steps) when that fits
  const exact = (declared ?? 0) + 1;
  let chunkSize = Math.max(exact, INFLATE_CHUNK_BYTES);
  if (!reservation.tryReserve(chunkSize)) {
    chunkSize = Math.max(exact, MIN_INFLATE_CHUNK_BYTES);
    if (!reservation.tryReserve(chunkSize)) return Promise.reject(overBudget(budget.limit));
  }
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize });
    let first: Buffer | undefined;
    // only when the stream inflates to more than it declared: the pieces are copied together
    let joined: BudgetedBuffer | undefined;
    let size = 0;
    let failed = false;
    const fail = (err: ConnectError): void => {
      if (failed) return;
      failed = true;
      first = undefined;
      joined?.discard();
      gunzip.destroy();
      reject(err);
    };
    gunzip.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (readMaxBytes > 0 && size > readMaxBytes) {
        fail(tooLarge(readMaxBytes));
        return;
      }
      if (first === undefined && joined === undefined) {
        first = chunk;
        return;
      }
      if (joined === undefined) {
        joined = new BudgetedBuffer(budget, readMaxBytes > 0 ? readMaxBytes : undefined);
        if (first !== undefined && !joined.append(first)) {
          fail(overBudget(budget.limit));
          return;
        }
        first = undefined;
      }
      if (!joined.append(chunk)) fail(overBudget(budget.limit));
    });
    gunzip.on("error", (err) => fail(inflateFailed(err)));
    gunzip.on("end", () => {
      if (failed) return;
      let out: Buffer = first ?? Buffer.alloc(0);
      if (joined !== undefined) {
        const taken = joined.take();
        reservation.adopt(taken.reserved);
        out = taken.bytes;
      }
      resolve(new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.length));
    });
    gunzip.end(bytes);
  });
}

/** zlib's output buffer size when the declared size is smaller (zlib's own default is 16 KiB). */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/** zlib's smallest output buffer (its minimum), for when not even `INFLATE_CHUNK_BYTES` fits the budget. */
const MIN_INFLATE_CHUNK_BYTES = 64;

/**
 * The inflated size a gzip stream declares in its trailer (RFC 1952 ISIZE, the last member's size modulo
 * 2^32, so a lower bound of the whole), or undefined when the bytes do not start like gzip.
 */
export function declaredInflatedSize(bytes: Uint8Array): number | undefined {
  const n = bytes.length;
  if (n < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, n).readUInt32LE(n - 4);
}

/**
 * connect-node's gzip with inflation counted against the request's in-flight reservation (outside a
 * request, it is connect-node's gzip unchanged).
 */
export const budgetedGzip: Compression = {
  name: compressionGzip.name,
  compress: (bytes) => compressionGzip.compress(bytes),
  decompress(bytes, readMaxBytes) {
    const reservation = current.getStore();
    if (reservation === undefined || bytes.length === 0) {
      return compressionGzip.decompress(bytes, readMaxBytes);
    }
    return inflate(bytes, readMaxBytes, reservation);
  },
};

/**
 * How many times its size decoding a JSON push takes at most: the text (1×), `JSON.parse`'s tree (about 1×,
 * mostly the base64 strings) and the decoded bytes (0.75×), rounded up.
 */
export const JSON_DECODE_FACTOR = 3;

/**
 * connect's JSON options for the push handler: the text decoder (the first step of connect's JSON parsing)
 * reserves `JSON_DECODE_FACTOR` times the body before anything is decoded.
 */
export const budgetedJsonOptions: Partial<JsonReadOptions & JsonWriteOptions> = {
  ignoreUnknownFields: true, // connect's default, kept
  // not in connect's option type, but read by its JSON serialization (createJsonSerialization)
  ...{ textDecoder: { decode: decodeJsonText } },
};

function decodeJsonText(data?: Uint8Array): string {
  if (data === undefined) return "";
  const reservation = current.getStore();
  if (reservation !== undefined) {
    const cost = data.length * JSON_DECODE_FACTOR;
    if (!reservation.tryReserve(cost)) {
      const limit = reservation.budget.limit;
      // with the body and connect's copy of it held too, this body can never be decoded within the budget
      throw cost + 2 * data.length > limit
        ? new ConnectError(
            `JSON push too large to decode within max_inflight_body_size (${limit} bytes): decoding ${data.length} bytes of JSON takes ${cost} bytes more; send binary protobuf instead`,
            Code.ResourceExhausted,
          )
        : overBudget(limit);
    }
  }
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString("utf8");
}

/**
 * The request body as connect's handler reads it. connect copies a body once (into one buffer, or into each
 * gRPC message); that copy is reserved before connect reads the body, and refused like a body over the
 * budget when it does not fit.
 */
export async function* budgetedBody(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  const reservation = current.getStore();
  if (reservation !== undefined && !reservation.tryReserve(bytes.length)) {
    throw overBudget(reservation.budget.limit);
  }
  yield bytes;
}
