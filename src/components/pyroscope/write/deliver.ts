/**
 * One endpoint's retry loop (Alloy's per-endpoint goroutine in `Push` / `AppendIngest`): attempt, classify,
 * back off, try again, until success, a non-retryable failure, `max_backoff_retries` attempts, or the caller
 * giving up. The sleep honours a `Retry-After` from the endpoint (already capped at `max_backoff_period`).
 */
import type { Failure, Outcome } from "../../../pyroscope/receiver.ts";
import { Backoff, type BackoffConfig, delayBeforeRetry, shouldRetry, sleep } from "./retry.ts";

/** How an endpoint's retry loop ended. `retries` is Alloy's `(<n> retries)` counter. */
export type DeliveryResult =
  | { readonly ok: true; readonly retries: number }
  | {
      readonly ok: false;
      readonly retries: number;
      readonly last: Failure;
      /** Set when retrying stopped only because the caller's answer was due: the wait that was left out. */
      readonly answerDueMs?: number | undefined;
    };

/** Settings and hooks of one loop. */
export interface DeliveryOptions {
  readonly backoff: BackoffConfig;
  readonly retryOnHttp429: boolean;
  /** Aborts the loop (no further attempts or sleeps). */
  readonly signal: AbortSignal;
  /** Called after a failed attempt, with the retry count so far. */
  readonly onFailedAttempt?: (failure: Failure, retries: number) => void;
  /** Called just before each retry (after the backoff sleep): `pyroscope_write_retries_total`. */
  readonly onRetry?: () => void;
  /**
   * When the caller must be answered (ms since the epoch): no retry is started that could end after it, each
   * attempt taking at most `attemptTimeoutMs`.
   */
  readonly answerBy?: number | undefined;
  readonly attemptTimeoutMs?: number | undefined;
  /** Jitter source (tests). */
  readonly random?: () => number;
  /** The wait between attempts (tests); resolves false when aborted. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

/**
 * Runs `attempt` until it succeeds or the policy says stop. `first` is the outcome of an attempt the caller
 * already made (the loop then starts by judging it).
 */
export async function deliver(
  attempt: () => Promise<Outcome>,
  options: DeliveryOptions,
  first?: Outcome,
): Promise<DeliveryResult> {
  const backoff = new Backoff(options.backoff, options.random);
  for (let tried = first; ; tried = undefined) {
    const result = tried ?? (await attempt());
    if (result.ok) return { ok: true, retries: backoff.numRetries };
    options.onFailedAttempt?.(result, backoff.numRetries);
    const stop = (): DeliveryResult => ({ ok: false, retries: backoff.numRetries, last: result });
    if (!shouldRetry(result.code, options.retryOnHttp429)) return stop();
    const delay = delayBeforeRetry(backoff.nextDelay(), result.retryAfterMs);
    if (!backoff.ongoing() || options.signal.aborted) return stop();
    if (
      options.answerBy !== undefined &&
      Date.now() + delay + (options.attemptTimeoutMs ?? 0) > options.answerBy
    ) {
      return { ok: false, retries: backoff.numRetries, last: result, answerDueMs: delay };
    }
    const slept = await (options.sleep ?? sleep)(delay, options.signal);
    if (!slept || !backoff.ongoing()) return stop();
    options.onRetry?.();
  }
}
