/**
 * Handing a parsed request to the `forward_to` receivers. Both routes call every receiver concurrently and
 * wait for all of them, as Alloy does; one failing never stops another. The request object is built once and
 * the same one reaches every receiver.
 */

import {
  callReceiver,
  type Failure,
  type ForwardedHeaders,
  failureOfError,
  NO_HEADERS,
  type Outcome,
  type Receiver,
} from "../../../pyroscope/receiver.ts";
import type { BodyLimits } from "./limits.ts";
import type { NodeServerRequest } from "./respond.ts";

/** What request handlers read when a request arrives; the component replaces it on every update. */
export interface LiveSettings {
  readonly receivers: readonly Receiver[];
  /** Lower-case names of the request headers to pass on (`forward_headers`). */
  readonly forwardHeaders: readonly string[];
  readonly bodyLimits: BodyLimits;
  /** `server_write_timeout`: how long a client may wait for its answer (0: no limit). */
  readonly answerWithinMs: number;
}

/**
 * When a request that arrived now must be answered (see `PushRequest.answerBy`): a little before the server's
 * write timeout closes the connection (1 s, or a tenth of a shorter timeout), so the answer makes it out.
 */
export function answerDeadline(live: LiveSettings, now: number = Date.now()): number | undefined {
  const within = live.answerWithinMs;
  if (!(within > 0)) return undefined;
  return now + within - Math.min(1000, within / 10);
}

/** A receiver's failure, with the line Alloy logs (and sends to push clients) for it. */
export interface FailedCall {
  readonly failure: Failure;
  readonly text: string;
}

/**
 * Hands `requests` to every receiver: receivers concurrently, each receiver the requests in order (the series
 * of a push). A receiver that throws has a bug: that becomes a 500 failure. The failures come in completion
 * order, as Alloy collects them, each worded by `describe`.
 */
export async function forwardToAll<T>(
  receivers: readonly Receiver[],
  requests: readonly T[],
  send: (receiver: Receiver, request: T) => Promise<Outcome>,
  describe: (index: number, request: T, failure: Failure) => string,
): Promise<FailedCall[]> {
  const failures: FailedCall[] = [];
  if (receivers.length === 1 && requests.length === 1) {
    // the usual case, without the fan-out's promises
    const request = requests[0]!;
    let outcome: Outcome;
    try {
      outcome = await send(receivers[0]!, request);
    } catch (err) {
      outcome = failureOfError(err);
    }
    if (!outcome.ok) failures.push({ failure: outcome, text: describe(0, request, outcome) });
    return failures;
  }
  await Promise.all(
    receivers.map(async (receiver, index) => {
      for (const request of requests) {
        const outcome = await callReceiver(() => send(receiver, request));
        if (!outcome.ok) failures.push({ failure: outcome, text: describe(index, request, outcome) });
      }
    }),
  );
  return failures;
}

/** The `forward_headers` present on the request, by lower-case name; multiple values are joined with `, `. */
export function pickHeaders(
  names: readonly string[],
  get: (name: string) => string | readonly string[] | undefined | null,
): ForwardedHeaders {
  if (names.length === 0) return NO_HEADERS;
  let out: Record<string, string> | undefined;
  for (const name of names) {
    const v = get(name);
    if (v === undefined || v === null) continue;
    out ??= {};
    out[name] = typeof v === "string" ? v : v.join(", ");
  }
  return out ?? NO_HEADERS;
}

/** All values of a request header in the order they arrived (Node keeps only one `Content-Type`). */
export function headerValues(req: NodeServerRequest, name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i]!;
    if (field.length === lower.length && field.toLowerCase() === lower) values.push(raw[i + 1] ?? "");
  }
  return values;
}
