/**
 * A per-attempt deadline linked to a caller's signal, released as soon as the attempt is over.
 *
 * `AbortSignal.any([signal, AbortSignal.timeout(ms)])` does the same but keeps its timer, both signals and
 * the link alive until the timeout elapses, long after the request finished: at thousands of requests per
 * second that is tens of thousands of live timers, and each one ends by building a `TimeoutError` nobody
 * reads. Here the timer is cleared and the listener removed by `dispose()`.
 */

/** A deadline for one attempt. */
export interface Deadline {
  /** Aborted when the caller's signal aborts (with its reason) or when the time is up (`TimeoutError`). */
  readonly signal: AbortSignal;
  /** Aborted only when the time is up. */
  readonly timeout: AbortSignal;
  /** Clears the timer and unlinks the caller's signal; call it once the attempt is over. */
  dispose(): void;
}

/** Starts a deadline of `ms` milliseconds that also follows `parent`. */
export function startDeadline(parent: AbortSignal, ms: number): Deadline {
  const combined = new AbortController();
  const timeout = new AbortController();
  const onParentAbort = (): void => combined.abort(parent.reason);
  const timer = setTimeout(() => {
    const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    timeout.abort(reason);
    combined.abort(reason);
  }, ms);
  timer.unref?.();
  if (parent.aborted) {
    combined.abort(parent.reason);
  } else {
    parent.addEventListener("abort", onParentAbort, { once: true });
  }
  return {
    signal: combined.signal,
    timeout: timeout.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onParentAbort);
    },
  };
}
