/**
 * Bounded request bodies: a per-request size limit, a budget shared by every request in flight (counting
 * bytes as they arrive), a read deadline and a stall deadline, all enforced while the body streams in, so an oversized or slow upload never sits in memory in
 * full. Alloy has none of these (it reads any body whole, bounded only by the read timeout).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { BudgetedBuffer } from "./budgeted-buffer.ts";

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

  /** The bytes that can still be reserved (`Infinity` when unlimited). */
  get available(): number {
    return this.#limit === 0 ? Number.POSITIVE_INFINITY : Math.max(0, this.#limit - this.#used);
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
  /**
   * Milliseconds a body may go without a single byte arriving before it is given up and its budget
   * released (`BODY_STALL_MS`, bounded by `timeoutMs`); 0 means none.
   */
  readonly stallMs: number;
}

/**
 * How long a body may stall (no byte arriving) before it is given up. Alloy bounds only the whole request
 * (`server_read_timeout`, 30 s by default); a body that has taken budget and stopped would hold it that long.
 * A live client on a healthy connection never pauses this long mid-body.
 */
export const BODY_STALL_MS = 10_000;

/**
 * The result of reading a body. On `ok`, `reserved` bytes of the budget are held for the caller, who must
 * release them once the body is no longer needed; on every other result nothing stays reserved.
 */
export type BodyResult =
  | { readonly kind: "ok"; readonly body: Buffer; readonly reserved: number }
  | { readonly kind: "too_large"; readonly limit: number }
  | { readonly kind: "over_budget"; readonly limit: number }
  | {
      readonly kind: "timeout";
      readonly timeoutMs: number;
      /** Which deadline passed: the whole request's, or the one for a body that stopped arriving. */
      readonly setting: "server_read_timeout" | "stall";
    }
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
 * left now (nothing is reserved for it yet: the bytes are reserved as they arrive), fails at once (also used to answer `Expect: 100-continue` without inviting the body).
 */
export function precheckBody(
  headers: IncomingHttpHeaders,
  limits: BodyLimits,
): Exclude<BodyResult, { kind: "ok" | "timeout" | "aborted" }> | undefined {
  return precheckLength(declaredLength(headers), limits);
}

function precheckLength(
  length: number | undefined,
  limits: BodyLimits,
): Exclude<BodyResult, { kind: "ok" | "timeout" | "aborted" }> | undefined {
  if (length === undefined) return undefined;
  if (limits.maxBytes > 0 && length > limits.maxBytes) return { kind: "too_large", limit: limits.maxBytes };
  if (!limits.budget.fits(length)) return { kind: "over_budget", limit: limits.budget.limit };
  return undefined;
}

/**
 * Reads a whole body into one Buffer, reserving budget for the bytes as they arrive (see `BudgetedBuffer`):
 * a declared `Content-Length` reserves nothing by itself, so connections that announce a large body and
 * never send it hold no budget. A body that stops arriving for `stallMs` is given up (its budget released)
 * even while `server_read_timeout` has not passed. Stops reading at the first broken limit and leaves the
 * stream paused: the caller answers and closes the connection.
 */
export function readBody(req: BodySource, limits: BodyLimits): Promise<BodyResult> {
  const declared = declaredLength(req.headers);
  const early = precheckLength(declared, limits);
  if (early !== undefined) return Promise.resolve(early);
  const buffer = new BudgetedBuffer(
    limits.budget,
    declared ?? (limits.maxBytes > 0 ? limits.maxBytes : undefined),
  );

  return new Promise<BodyResult>((resolve) => {
    let settled = false;
    const timer =
      limits.timeoutMs > 0
        ? setTimeout(
            () => settle({ kind: "timeout", timeoutMs: limits.timeoutMs, setting: "server_read_timeout" }),
            limits.timeoutMs,
          )
        : undefined;
    const stallMs = limits.stallMs;
    const stall =
      stallMs > 0 && (limits.timeoutMs <= 0 || stallMs < limits.timeoutMs)
        ? setTimeout(() => {
            // Timers run before pending I/O: after the event loop was blocked (a large decode), bytes that
            // arrived meanwhile are read first, in this loop turn, and count as progress.
            const seen = progress;
            setImmediate(() => {
              if (progress === seen) settle({ kind: "timeout", timeoutMs: stallMs, setting: "stall" });
              else stall?.refresh();
            });
          }, stallMs)
        : undefined;
    let progress = 0;

    function settle(result: BodyResult): void {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (stall !== undefined) clearTimeout(stall);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onClose);
      if (result.kind !== "ok") {
        req.pause();
        buffer.discard();
      }
      resolve(result);
    }

    function onData(chunk: Buffer): void {
      progress++;
      stall?.refresh();
      const received = buffer.length + chunk.length;
      if (limits.maxBytes > 0 && received > limits.maxBytes) {
        settle({ kind: "too_large", limit: limits.maxBytes });
        return;
      }
      if (declared !== undefined && received > declared) {
        settle({ kind: "aborted" }); // more than the declared length: a broken client
        return;
      }
      if (!buffer.append(chunk)) {
        settle({ kind: "over_budget", limit: limits.budget.limit });
      }
    }

    function onEnd(): void {
      if (declared !== undefined && buffer.length !== declared) {
        settle({ kind: "aborted" });
        return;
      }
      const { bytes, reserved } = buffer.take();
      settle({ kind: "ok", body: bytes, reserved });
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
    // an aborted request (Node's deprecated `aborted` event) closes before it is complete
    req.on("close", onClose);
  });
}

/** The text a client gets for a body that did not arrive in time. */
export function timeoutMessage(result: Extract<BodyResult, { kind: "timeout" }>): string {
  return result.setting === "stall"
    ? `request body stalled: no bytes received for ${result.timeoutMs}ms`
    : `request body not received within ${result.timeoutMs}ms (server_read_timeout)`;
}
