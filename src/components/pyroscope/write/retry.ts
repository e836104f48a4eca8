/**
 * Retry policy of `pyroscope.write` (Alloy's `write.go`), as pure functions plus dskit's backoff state:
 * - `shouldRetry`: which failures are retried (deadlines, 408, 5xx, Connect's transient codes; 429 and
 *   `resource_exhausted` only with `retry_on_http_429`);
 * - `Backoff`: exponential ranges with uniform jitter, and `max_backoff_retries` counting attempts;
 * - `retryAfterMs`: a server's `Retry-After`, which we honour (Alloy ignores it), capped by the maximum backoff.
 */
import { Code } from "@connectrpc/connect";
import { isRetryable } from "../../../pyroscope/receiver.ts";

/**
 * Alloy's `shouldRetry`, on the failure's Connect code (the endpoint gives an ingest status the code that keeps
 * Alloy's status rule: 408 and 5xx retryable, 429 `resource_exhausted`): deadlines, `unknown`, `internal`,
 * `unavailable`, `data_loss` and `aborted` are retried; `resource_exhausted` only with `retry_on_http_429`.
 */
export function shouldRetry(code: Code, retryOnHttp429: boolean): boolean {
  if (code === Code.ResourceExhausted) return retryOnHttp429;
  return isRetryable(code);
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
