/**
 * The one place where the receivers' failures become the client's answer: an `/ingest` HTTP status and text,
 * or a push API `ConnectError`. The deciding failure is the first one worth retrying (so the client retries
 * and a transient problem can pass), else the first one; "first" is completion order, as in Alloy.
 *
 * Unlike Alloy, which answers every failure with 500 / `internal`, the answer keeps the downstream's meaning:
 * an `/ingest` client gets the downstream's status (a 400 stays a 400) and message, a push client the code.
 */
import { type Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { decisiveFailure, type Failure } from "../../../pyroscope/receiver.ts";
import type { FailedCall } from "./forward.ts";
import { statusText } from "./respond.ts";

/** An HTTP answer: status, its Connect code, text (`<reason phrase>: <message>`) and headers. */
export interface IngestAnswer {
  readonly status: number;
  readonly code: Code;
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The answer to an `/ingest` upload that some receiver did not accept. */
export function ingestAnswer(failures: readonly FailedCall[]): IngestAnswer {
  const failure = decisive(failures);
  const status = validStatus(failure.httpStatus ?? codeToHttpStatus(failure.code));
  const reason = statusText(status);
  return {
    status,
    code: failure.code,
    text: failure.message === "" ? reason : `${reason}: ${failure.message}`,
    headers: retryAfterHeader(failure),
  };
}

/** The error a push client is answered with: every failure's line, the deciding failure's code. */
export function pushError(failures: readonly FailedCall[]): ConnectError {
  const failure = decisive(failures);
  const header = retryAfterHeader(failure);
  return new ConnectError(
    failures.map((f) => f.text).join("\n"),
    failure.code,
    Object.keys(header).length === 0 ? undefined : header,
  );
}

function decisive(failures: readonly FailedCall[]): Failure {
  const failure = decisiveFailure(failures.map((f) => f.failure));
  if (failure === undefined) throw new Error("an answer needs at least one failure");
  return failure;
}

/** `Retry-After` (whole seconds, rounded up) for a failure that carries a delay. */
function retryAfterHeader(failure: Failure): Readonly<Record<string, string>> {
  const ms = failure.retryAfterMs;
  if (ms === undefined || !(ms >= 0)) return {};
  return { "Retry-After": String(Math.max(1, Math.ceil(ms / 1000))) };
}

function validStatus(status: number): number {
  return Number.isInteger(status) && status >= 200 && status <= 599 ? status : 500;
}
