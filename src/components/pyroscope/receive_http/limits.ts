/**
 * Bounded request bodies: a per-request size limit, a budget shared by every request in flight, and a read
 * deadline, all enforced while the body streams in, so an oversized or slow upload never sits in memory in
 * full. Alloy has none of these (it reads any body whole, bounded only by the read timeout).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

/** The total bytes of request bodies held at once, shared by all requests of one component. */
export class InflightBudget {
  #limit: number;
  #used = 0;

  /** `limit` 0 means unlimited. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Changes the limit; bytes already reserved stay reserved. */
  setLimit(limit: number): void {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Whether `bytes` more fit; reserves them when they do. */
  tryReserve(bytes: number): boolean {
    if (this.#limit > 0 && this.#used + bytes > this.#limit) return false;
    this.#used += bytes;
    return true;
  }

  /** Whether a request of `bytes` could be reserved right now (without reserving it). */
  fits(bytes: number): boolean {
    return this.#limit === 0 || this.#used + bytes <= this.#limit;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** Limits applied while reading one body. */
export interface BodyLimits {
  /** Largest body in bytes; 0 means unlimited. */
  readonly maxBytes: number;
  readonly budget: InflightBudget;
  /** Milliseconds the whole body may take to arrive; 0 means no deadline. */
  readonly timeoutMs: number;
}

/**
 * The result of reading a body. On `ok`, `reserved` bytes of the budget are held for the caller, who must
 * release them once the body is no longer needed; on every other result nothing stays reserved.
 */
export type BodyResult =
  | { readonly kind: "ok"; readonly body: Buffer; readonly reserved: number }
  | { readonly kind: "too_large"; readonly limit: number }
  | { readonly kind: "over_budget"; readonly limit: number }
  | { readonly kind: "timeout"; readonly timeoutMs: number }
  | { readonly kind: "aborted" };

/** What a request must offer to be read: Node's HTTP/1 and HTTP/2 compatibility requests both do. */
export type BodySource = Readable & { readonly headers: IncomingHttpHeaders; readonly complete: boolean };

/** The declared `Content-Length`, when there is a usable one. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers["content-length"];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Checks a request before its body is read: a declared length over the limit, or over what the budget has
 * left, fails at once (also used to answer `Expect: 100-continue` without inviting the body).
 */
export function precheckBody(
  headers: IncomingHttpHeaders,
  limits: BodyLimits,
): Exclude<BodyResult, { kind: "ok" | "timeout" | "aborted" }> | undefined {
  const length = declaredLength(headers);
  if (length === undefined) return undefined;
  if (limits.maxBytes > 0 && length > limits.maxBytes) return { kind: "too_large", limit: limits.maxBytes };
  if (!limits.budget.fits(length)) return { kind: "over_budget", limit: limits.budget.limit };
  return undefined;
}

/**
 * Reads a whole body into one Buffer. With a `Content-Length` the Buffer is allocated once and filled in
 * place; otherwise the chunks are joined at the end (a single chunk is used as it is). Stops reading at the
 * first broken limit and leaves the stream paused: the caller answers and closes the connection.
 */
export function readBody(req: BodySource, limits: BodyLimits): Promise<BodyResult> {
  const early = precheckBody(req.headers, limits);
  if (early !== undefined) return Promise.resolve(early);
  const declared = declaredLength(req.headers);
  let reserved = 0;
  let target: Buffer | undefined;
  if (declared !== undefined) {
    limits.budget.tryReserve(declared); // fits: checked by precheckBody just now
    reserved = declared;
    target = Buffer.allocUnsafe(declared);
  }
  const chunks: Buffer[] = [];
  let received = 0;

  return new Promise<BodyResult>((resolve) => {
    let settled = false;
    const timer =
      limits.timeoutMs > 0
        ? setTimeout(() => settle({ kind: "timeout", timeoutMs: limits.timeoutMs }), limits.timeoutMs)
        : undefined;

    function settle(result: BodyResult): void {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("aborted", onAbort);
      req.off("close", onClose);
      if (result.kind !== "ok") {
        req.pause();
        limits.budget.release(reserved);
        chunks.length = 0;
      }
      resolve(result);
    }

    function onData(chunk: Buffer): void {
      const start = received;
      received += chunk.length;
      if (limits.maxBytes > 0 && received > limits.maxBytes) {
        settle({ kind: "too_large", limit: limits.maxBytes });
        return;
      }
      if (target !== undefined) {
        if (received > target.length) {
          settle({ kind: "aborted" }); // more than the declared length: a broken client
          return;
        }
        chunk.copy(target, start);
        return;
      }
      if (!limits.budget.tryReserve(chunk.length)) {
        settle({ kind: "over_budget", limit: limits.budget.limit });
        return;
      }
      reserved += chunk.length;
      chunks.push(chunk);
    }

    function onEnd(): void {
      if (target !== undefined) {
        if (received !== target.length) {
          settle({ kind: "aborted" });
          return;
        }
        settle({ kind: "ok", body: target, reserved });
        return;
      }
      const body =
        chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, received);
      settle({ kind: "ok", body, reserved });
    }

    function onAbort(): void {
      settle({ kind: "aborted" });
    }

    function onClose(): void {
      if (!req.complete) settle({ kind: "aborted" });
    }

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("aborted", onAbort);
    req.on("close", onClose);
  });
}
