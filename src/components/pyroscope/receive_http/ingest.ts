/**
 * `POST /ingest` (and `/pyroscope/ingest`): the legacy Pyroscope upload that every SDK uses. As in Alloy, the
 * body is never parsed or decompressed: it is read whole and handed to every receiver byte for byte, with all
 * `Content-Type` values, the original path and query, and the labels from `name` (Pyroscope's grammar; a bad
 * `name` is logged and forwarded with no labels) after the `service_name`/`app_name` rule.
 *
 * Answers: 200 with an empty body when every receiver accepted it (or there are none); otherwise the status of
 * the deciding failure with its reason phrase and, unlike Alloy, the receiver's message:
 * `Bad Request: <message>`. Too large → 413, over the in-flight budget → 429 + `Retry-After`, too slow → 408.
 */
import type { Logger } from "pino";
import { ensureServiceName } from "../../../pyroscope/label-rules.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { parseName } from "../../../pyroscope/name-grammar.ts";
import type { Receiver } from "../../../pyroscope/receiver.ts";
import {
  callReceiver,
  clientGoneSignal,
  decisiveFailure,
  type Failure,
  headerValues,
  type LiveSettings,
  pickHeaders,
  retryAfterSeconds,
} from "./forward.ts";
import { type BodyResult, precheckBody, readBody, timeoutMessage } from "./limits.ts";
import { closeAfterResponse, sendEmpty, sendText, statusText } from "./respond.ts";
import type { Exchange, RouteHandler } from "./router.ts";

/** Labels for an ingest request: `name` parsed with Pyroscope's grammar, then the `service_name` rule. */
export function ingestLabels(query: string, logger: Logger): Labels {
  const name = new URLSearchParams(query).get("name") ?? "";
  let labels = Labels.EMPTY;
  if (name !== "") {
    try {
      labels = parseName(name);
    } catch (err) {
      // Alloy continues with no labels rather than rejecting the upload
      logger.warn({ name, err: (err as Error).message }, "Failed to parse labels from name parameter");
    }
  }
  return ensureServiceName(labels);
}

/** Builds the ingest route handler; `settings` is read once per request. */
export function createIngestHandler(settings: () => LiveSettings, logger: Logger): RouteHandler {
  return async function ingest(ex: Exchange): Promise<void> {
    const { req, res } = ex;
    const live = settings();
    const labels = ingestLabels(ex.query, logger);

    if (ex.expectsContinue) {
      const refused = precheckBody(req.headers, live.bodyLimits);
      if (refused !== undefined) {
        ex.responseBytes = answerBodyProblem(ex, refused);
        return;
      }
      res.writeContinue();
    }
    const result = await readBody(req, live.bodyLimits);
    if (result.kind !== "ok") {
      ex.responseBytes = answerBodyProblem(ex, result);
      return;
    }
    ex.requestBytes = result.body.length;
    try {
      const failures = await forwardIngest(live, ex, labels, result.body);
      if (failures.length === 0) {
        sendEmpty(res, 200);
        return;
      }
      logger.warn({ errors: failures.map((f) => f.message) }, "Failed to ingest profiles");
      const failure = decisiveFailure(failures)!;
      const status = validStatus(failure.outcome.httpStatus);
      const text = statusText(status);
      const retryAfter = retryAfterSeconds(failure);
      ex.responseBytes = sendText(
        res,
        status,
        failure.outcome.message === "" ? text : `${text}: ${failure.outcome.message}`,
        retryAfter === undefined ? {} : { "Retry-After": retryAfter },
      );
    } finally {
      live.bodyLimits.budget.release(result.reserved);
    }
  };
}

async function forwardIngest(
  live: LiveSettings,
  ex: Exchange,
  labels: Labels,
  body: Buffer,
): Promise<Failure[]> {
  const { req, res } = ex;
  const signal = clientGoneSignal(res);
  const request = {
    labels,
    body,
    contentType: headerValues(req, "content-type"),
    path: ex.path,
    query: ex.query,
    headers: pickHeaders(live.forwardHeaders, (name) => req.headers[name]),
    signal,
  };
  const failures: Failure[] = [];
  await Promise.all(
    live.receivers.map(async (receiver: Receiver, index) => {
      const outcome = await callReceiver(() => receiver.ingest(request));
      if (outcome.status !== "ok") {
        failures.push({
          outcome,
          message: `failed to ingest profile to appendable ${index}: ${outcome.message}`,
        });
      }
    }),
  );
  return failures;
}

/** Answers a body that could not be read; returns the response body size. */
function answerBodyProblem(ex: Exchange, problem: Exclude<BodyResult, { kind: "ok" }>): number {
  const { req, res } = ex;
  switch (problem.kind) {
    case "aborted":
      // the client is gone: nothing is forwarded and nobody is left to answer
      res.destroy();
      return 0;
    case "too_large":
      closeAfterResponse(req, res);
      return sendText(
        res,
        413,
        `request body too large: the limit is ${problem.limit} bytes (max_request_body_size)`,
      );
    case "over_budget":
      closeAfterResponse(req, res);
      return sendText(
        res,
        429,
        `too many request bytes in flight: the limit is ${problem.limit} bytes (max_inflight_body_size), try again later`,
        { "Retry-After": "1" },
      );
    case "timeout":
      closeAfterResponse(req, res);
      return sendText(res, 408, timeoutMessage(problem));
  }
}

function validStatus(status: number): number {
  return Number.isInteger(status) && status >= 200 && status <= 599 ? status : 500;
}
