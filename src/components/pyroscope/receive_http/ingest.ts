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
import { BoundedCache } from "../../../pyroscope/bounded-cache.ts";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
import { ensureServiceName } from "../../../pyroscope/label-rules.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { parseName } from "../../../pyroscope/name-grammar.ts";
import {
  type Failure,
  type IngestRequest,
  NO_HEADERS,
  type Outcome,
  type Receiver,
} from "../../../pyroscope/receiver.ts";
import { type ComponentTap, NO_TAP } from "../../../runtime/livedebugging/hub.ts";
import { ingestAnswer } from "./answer.ts";
import { answerDeadline, forwardToAll, headerValues, type LiveSettings, pickHeaders } from "./forward.ts";
import { type BodyResult, precheckBody, readBody, timeoutMessage } from "./limits.ts";
import { publishIngest } from "./live.ts";
import { closeAfterResponse, sendEmpty, sendText } from "./respond.ts";
import type { Exchange, RouteHandler } from "./router.ts";

/** The labels of the `name`s seen lately (label sets are immutable); a `name` that fails to parse is not kept. */
const LABELS_BY_NAME = new BoundedCache<string, Labels>(4096);

/** Labels for an ingest request: `name` parsed with Pyroscope's grammar, then the `service_name` rule. */
export function ingestLabels(query: IngestQuery, logger: Logger): Labels {
  const name = query.name ?? "";
  const known = LABELS_BY_NAME.get(name);
  if (known !== undefined) return known;
  let labels = Labels.EMPTY;
  let parsed = true;
  if (name !== "") {
    try {
      labels = parseName(name);
    } catch (err) {
      // Alloy continues with no labels rather than rejecting the upload
      logger.warn({ name, err: (err as Error).message }, "Failed to parse labels from name parameter");
      parsed = false;
    }
  }
  labels = ensureServiceName(labels);
  if (parsed) LABELS_BY_NAME.set(name, labels);
  return labels;
}

/** Builds the ingest route handler; `settings` is read once per request; `tap` is for live debugging. */
export function createIngestHandler(
  settings: () => LiveSettings,
  logger: Logger,
  tap: ComponentTap = NO_TAP,
): RouteHandler {
  return async function ingest(ex: Exchange): Promise<void> {
    const { req, res } = ex;
    const live = settings();
    // the query is read once, with Go's rules, and travels with the request to every receiver
    const answerBy = answerDeadline(live);
    const query = IngestQuery.parse(ex.query);
    const labels = ingestLabels(query, logger);

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
      const request: IngestRequest = {
        labels,
        body: result.body,
        contentType: headerValues(req, "content-type"),
        path: ex.path,
        query,
        headers:
          live.forwardHeaders.length === 0
            ? NO_HEADERS
            : pickHeaders(live.forwardHeaders, (name) => req.headers[name]),
        signal: ex.clientGoneSignal(),
        answerBy,
      };
      const failures = await forwardToAll(live.receivers, [request], sendIngest, describeIngestFailure);
      if (tap.watched) publishIngest(tap, request, live.receivers.length, failures);
      if (failures.length === 0) {
        sendEmpty(res, 200);
        return;
      }
      logger.warn({ errors: failures.map((f) => f.text) }, "Failed to ingest profiles");
      const answer = ingestAnswer(failures);
      ex.responseBytes = sendText(res, answer.status, answer.text, answer.headers);
    } finally {
      live.bodyLimits.budget.release(result.reserved);
    }
  };
}

const sendIngest = (receiver: Receiver, request: IngestRequest): Promise<Outcome> => receiver.ingest(request);

const describeIngestFailure = (index: number, _request: IngestRequest, failure: Failure): string =>
  `failed to ingest profile to appendable ${index}: ${failure.message}`;

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
