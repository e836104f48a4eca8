/**
 * Handing profiles to the `forward_to` receivers and folding their outcomes into one answer. Both routes
 * call every receiver concurrently and wait for all of them, as Alloy does; one failing never stops another.
 */

import type { Outcome, Receiver } from "../../../pyroscope/receiver.ts";
import type { BodyLimits } from "./limits.ts";
import type { NodeServerRequest } from "./respond.ts";

/** What request handlers read when a request arrives; the component replaces it on every update. */
export interface LiveSettings {
  readonly receivers: readonly Receiver[];
  /** Lower-case names of the request headers to pass on (`forward_headers`). */
  readonly forwardHeaders: readonly string[];
  readonly bodyLimits: BodyLimits;
}

/** A receiver's failure, with the text Alloy would log and send for it. */
export interface Failure {
  readonly outcome: Exclude<Outcome, { status: "ok" }>;
  readonly message: string;
}

/** A failed outcome for an exception a receiver threw (a bug in it: receivers report failures as values). */
export function outcomeOfError(err: unknown): Exclude<Outcome, { status: "ok" }> {
  const message = err instanceof Error ? err.message : String(err);
  return { status: "failed", httpStatus: 500, message };
}

/** Calls a receiver, turning a thrown exception into a failed outcome. */
export async function callReceiver(call: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await call();
  } catch (err) {
    return outcomeOfError(err);
  }
}

/**
 * The failure that decides the answer to the client: the first one worth retrying (so the client retries
 * and the transient problem can pass), otherwise the first one. "First" is completion order, as in Alloy.
 */
export function decisiveFailure(failures: readonly Failure[]): Failure | undefined {
  return failures.find((f) => f.outcome.status === "failed") ?? failures[0];
}

/** The `Retry-After` value (whole seconds, rounded up) for a failure that carries a delay. */
export function retryAfterSeconds(failure: Failure): string | undefined {
  const o = failure.outcome;
  if (o.status !== "failed" || o.retryAfterMs === undefined || !(o.retryAfterMs >= 0)) return undefined;
  return String(Math.max(1, Math.ceil(o.retryAfterMs / 1000)));
}

/** The `forward_headers` present on the request, by lower-case name; multiple values are joined with `, `. */
export function pickHeaders(
  names: readonly string[],
  get: (name: string) => string | readonly string[] | undefined | null,
): Readonly<Record<string, string>> | undefined {
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = get(name);
    if (v === undefined || v === null) continue;
    out[name] = typeof v === "string" ? v : v.join(", ");
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** All values of a request header in the order they arrived (Node keeps only one `Content-Type`). */
export function headerValues(req: NodeServerRequest, name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === lower) values.push(raw[i + 1] ?? "");
  }
  return values;
}

/** An abort signal that fires when the client goes away before its response is complete. */
export function clientGoneSignal(res: {
  once(event: "close", fn: () => void): unknown;
  readonly writableFinished: boolean;
}): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("client disconnected"));
  });
  return controller.signal;
}
