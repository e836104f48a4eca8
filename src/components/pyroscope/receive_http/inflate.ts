/**
 * gzip for push bodies, counted against `max_inflight_body_size` as it inflates.
 *
 * connect-node's gzip inflates a whole message before anything looks at its size, bounded only by
 * `max_request_body_size`: a 250 KiB body can inflate to 256 MiB, while the in-flight budget has counted
 * only the 250 KiB that arrived. A handful of such requests at once would take gigabytes. Here the inflated
 * bytes are reserved from the same budget chunk by chunk, so a body that would inflate past what is left is
 * refused with `resource_exhausted` + `Retry-After` (as a body over the budget is), before it is inflated.
 *
 * The request's reservation travels with the request through connect-es (which calls `decompress` without
 * any request context) in an `AsyncLocalStorage`; the push handler releases it when the request is done.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createGunzip } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionGzip } from "@connectrpc/connect-node";
import type { InflightBudget } from "./limits.ts";

/** The bytes one request holds of the budget for its inflated bodies. */
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

  /** Gives back everything reserved so far. */
  release(): void {
    this.budget.release(this.#reserved);
    this.#reserved = 0;
  }
}

const current = new AsyncLocalStorage<InflateReservation>();

/** Runs `fn` (a whole push request) with `reservation` counting what `budgetedGzip` inflates for it. */
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
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: ConnectError): void => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
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
      if (!reservation.tryReserve(chunk.length)) {
        fail(overBudget(reservation.budget.limit));
        return;
      }
      chunks.push(chunk);
    });
    gunzip.on("error", (err) => fail(inflateFailed(err)));
    gunzip.on("end", () => {
      if (failed) return;
      const out = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      resolve(out);
    });
    gunzip.end(bytes);
  });
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
