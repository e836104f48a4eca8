/**
 * Retry policy of `pyroscope.write` (spec §2.6), as pure functions plus dskit's backoff state:
 * - `shouldRetry`: which failures are retried (deadlines, 408, 5xx, Connect's transient codes; 429 and
 *   `resource_exhausted` only with `retry_on_http_429`);
 * - `Backoff`: exponential ranges with uniform jitter, and `max_backoff_retries` counting attempts;
 * - `retryAfterMs`: a server's `Retry-After`, which we honour (Alloy ignores it), capped by the maximum backoff.
 */

/** Connect error codes by their wire names. */
export type ConnectCodeName =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

/**
 * Why one attempt failed, as far as retrying is concerned:
 * - `deadline`: the attempt's `remote_timeout` (or the caller's deadline) passed;
 * - `canceled`: the caller gave up;
 * - `status`: the ingest path got an HTTP status other than 200 (Alloy's `PyroscopeWriteError`);
 * - `connect`: the push path failed with a Connect code (transport failures are `unavailable`);
 * - `other`: any other ingest-path error (Alloy classifies it as Connect `unknown`, so it is retried).
 */
export type Failure =
  | { readonly kind: "deadline" }
  | { readonly kind: "canceled" }
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "connect"; readonly code: ConnectCodeName }
  | { readonly kind: "other" };

const RETRYABLE_CODES: ReadonlySet<ConnectCodeName> = new Set([
  "deadline_exceeded",
  "unknown",
  "internal",
  "unavailable",
  "data_loss",
  "aborted",
]);

/** Alloy's `shouldRetry`, checked in its order. */
export function shouldRetry(failure: Failure, retryOnHttp429: boolean): boolean {
  switch (failure.kind) {
    case "deadline":
      return true;
    case "canceled":
      return false;
    case "status":
      if (failure.status === 429) return retryOnHttp429;
      return failure.status === 408 || failure.status >= 500;
    case "connect":
      if (failure.code === "resource_exhausted") return retryOnHttp429;
      return RETRYABLE_CODES.has(failure.code);
    case "other":
      return true;
  }
}

/** Backoff settings of one endpoint, in milliseconds. */
export interface BackoffConfig {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Total attempts; 0 = unlimited; negative = one attempt. */
  readonly maxRetries: number;
}

/**
 * dskit's `backoff.Backoff`: the first delay is uniform in [min, 2·min); after each wait both ends double,
 * capped at the maximum; when the range has collapsed the delay is exactly its lower end. `numRetries` counts
 * calls to `nextDelay`, and `ongoing()` is false once it reaches `maxRetries`.
 */
export class Backoff {
  readonly #cfg: BackoffConfig;
  readonly #random: () => number;
  #numRetries = 0;
  #nextMin: number;
  #nextMax: number;

  constructor(cfg: BackoffConfig, random: () => number = Math.random) {
    this.#cfg = cfg;
    this.#random = random;
    this.#nextMin = cfg.minBackoffMs;
    this.#nextMax = doubled(cfg.minBackoffMs, cfg.maxBackoffMs);
  }

  /** The retry counter Alloy prints as `(<n> retries)`. */
  get numRetries(): number {
    return this.#numRetries;
  }

  /** Whether another attempt is allowed by the counter (the caller also checks its own cancellation). */
  ongoing(): boolean {
    return this.#cfg.maxRetries === 0 || this.#numRetries < this.#cfg.maxRetries;
  }

  /** Counts a retry and returns the delay before it, advancing the range. */
  nextDelay(): number {
    this.#numRetries++;
    if (this.#nextMin >= this.#nextMax) return this.#nextMin;
    const delay = this.#nextMin + Math.floor(this.#random() * (this.#nextMax - this.#nextMin));
    if (this.#nextMax < this.#cfg.maxBackoffMs) {
      this.#nextMin = doubled(this.#nextMin, this.#cfg.maxBackoffMs);
      this.#nextMax = doubled(this.#nextMax, this.#cfg.maxBackoffMs);
    }
    return delay;
  }
}

function doubled(value: number, max: number): number {
  const v = value * 2;
  return Math.min(v, max);
}

/** The [min, max) jitter ranges of the first `n` delays, for documentation and tests. */
export function backoffRanges(cfg: BackoffConfig, n: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = cfg.minBackoffMs;
  let hi = doubled(cfg.minBackoffMs, cfg.maxBackoffMs);
  for (let i = 0; i < n; i++) {
    out.push(lo >= hi ? [lo, lo] : [lo, hi]);
    if (lo < hi && hi < cfg.maxBackoffMs) {
      lo = doubled(lo, cfg.maxBackoffMs);
      hi = doubled(hi, cfg.maxBackoffMs);
    }
  }
  return out;
}

/**
 * The delay a `Retry-After` value asks for (delta seconds or an HTTP date), capped at `maxMs`; undefined when
 * absent or unparsable.
 */
export function retryAfterMs(
  value: string | undefined,
  maxMs: number,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, Math.max(0, maxMs));
}

/** The wait before the next attempt: the backoff delay, but never shorter than a (capped) `Retry-After`. */
export function delayBeforeRetry(backoffDelayMs: number, retryAfter: number | undefined): number {
  return retryAfter === undefined ? backoffDelayMs : Math.max(backoffDelayMs, retryAfter);
}

/** Sleeps `ms`, resolving early (to false) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
