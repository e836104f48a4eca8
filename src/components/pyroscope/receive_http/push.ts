/**
 * `POST /push.v1.PusherService/Push`: Pyroscope's push API over Connect (binary and JSON, gzip request
 * bodies), gRPC and gRPC-Web, served by `@connectrpc/connect`'s protocol handlers.
 *
 * As in Alloy, each receiver gets every series in order (one `push` per series, labels built from the pairs
 * with the last duplicate winning and empty values dropped, then the `service_name` rule; annotations are
 * dropped), receivers run concurrently, and a failure is reported as
 * `unable to append series {…} to appendable <i>: <message>`. Unlike Alloy, which answers every failure with
 * `internal`, the Connect code keeps the downstream's meaning (a 400 stays `invalid_argument`).
 *
 * The body is read by us first, with the same size limit, in-flight budget and read deadline as `/ingest`;
 * connect-es then enforces the limit again after gzip decompression (`readMaxBytes`).
 */

import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  compressionNegotiate,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import {
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { Logger } from "pino";
import {
  PusherService,
  type PushRequest,
  PushRequestSchema,
  type PushResponse,
} from "../../../pyroscope/gen/push/v1/push_pb.ts";
import {
  ensureServiceName,
  formatPrometheusLabels,
  labelsFromPairs,
} from "../../../pyroscope/label-rules.ts";
import type { ForwardedHeaders, PushRequest as SeriesRequest } from "../../../pyroscope/receiver.ts";
import { type ComponentTap, NO_TAP } from "../../../runtime/livedebugging/hub.ts";
import { pushError } from "./answer.ts";
import { handlerByLimit } from "./connect-handler.ts";
import { answerDeadline, forwardToAll, type LiveSettings, pickHeaders } from "./forward.ts";
import { budgetedBody, budgetedJsonOptions, InflateReservation, withInflateReservation } from "./inflate.ts";
import { type BodyResult, precheckBody, readBody, timeoutMessage } from "./limits.ts";
import { publishPush } from "./live.ts";
import { remapConnectParseError, remapGrpcParseError } from "./parse-error.ts";
import {
  closeAfterResponse,
  isHttp2,
  type NodeServerRequest,
  type NodeServerResponse,
  sendText,
} from "./respond.ts";
import type { Exchange, RouteHandler } from "./router.ts";

/** The one RPC path served; other paths under `/push.v1.PusherService/` are 404, as connect-go answers. */
export const PUSH_PATH = "/push.v1.PusherService/Push";

/**
 * connect-go's `Accept-Post` on a 415: every content type the handler accepts, sorted (connect-es sends none).
 */
export const ACCEPT_POST = [
  "application/grpc",
  "application/grpc+json",
  "application/grpc+json; charset=utf-8",
  "application/grpc+proto",
  "application/grpc-web",
  "application/grpc-web+json",
  "application/grpc-web+json; charset=utf-8",
  "application/grpc-web+proto",
  "application/json",
  "application/json; charset=utf-8",
  "application/proto",
].join(", ");

/** Builds the push route handler; `settings` is read once per request; `tap` is for live debugging. */
export function createPushHandler(
  settings: () => LiveSettings,
  logger: Logger,
  tap: ComponentTap = NO_TAP,
): RouteHandler {
  /**
   * Hands every series to every receiver (each receiver gets the series in order; receivers run
   * concurrently); the error to answer with when any of them failed. Each series is converted once, and the
   * same request reaches every receiver.
   */
  async function forward(
    live: LiveSettings,
    request: PushRequest,
    signal: AbortSignal,
    headers: ForwardedHeaders,
  ): Promise<ConnectError | undefined> {
    const answerBy = answerDeadline(live);
    const series = request.series.map((s) => {
      const pairs = labelsFromPairs(s.labels);
      const converted: SeriesRequest = {
        labels: ensureServiceName(pairs),
        samples: s.samples.map((sample) => ({ id: sample.ID, rawProfile: sample.rawProfile })),
        headers,
        signal,
        answerBy,
      };
      return { pairs, request: converted };
    });
    const failures = await forwardToAll(
      live.receivers,
      series,
      (receiver, s) => receiver.push(s.request),
      (index, s, f) =>
        `unable to append series ${formatPrometheusLabels(s.pairs)} to appendable ${index}: ${f.message}`,
    );
    if (tap.watched)
      publishPush(
        tap,
        series.map((s) => s.request),
        live.receivers.length,
        failures,
      );
    if (failures.length === 0) return undefined;
    const error = pushError(failures);
    logger.warn({ errors: error.rawMessage.split("\n") }, "Failed to forward profiles requests");
    return error;
  }

  const impl = {
    async push(request: PushRequest, context: HandlerContext): Promise<Partial<PushResponse>> {
      const live = settings();
      const headers = pickHeaders(live.forwardHeaders, (name) => context.requestHeader.get(name));
      const error = await forward(live, request, context.signal, headers);
      if (error !== undefined) throw error;
      return {};
    },
  };

  const handlerFor = handlerByLimit(PUSH_PATH, { jsonOptions: budgetedJsonOptions }, (router) =>
    router.service(PusherService, impl),
  );

  return async function push(ex: Exchange): Promise<void> {
    const { req, res } = ex;
    const closed = whenClosed(res);
    if (ex.path !== PUSH_PATH) {
      ex.responseBytes = sendText(res, 404, "404 page not found");
      return;
    }
    const live = settings();
    let result: BodyResult | undefined;
    if (ex.expectsContinue) {
      result = precheckBody(req.headers, live.bodyLimits);
      if (result === undefined) res.writeContinue();
    }
    result ??= await readBody(req, live.bodyLimits);
    if (result.kind === "aborted") {
      res.destroy(); // the client is gone: nothing is forwarded
      return;
    }
    if (result.kind !== "ok") closeAfterResponse(req, res);
    const reserved = result.kind === "ok" ? result.reserved : 0;
    // what a gzip body inflates to is held too: it counts against the same budget (see inflate.ts)
    const inflated = new InflateReservation(live.bodyLimits.budget);
    try {
      ex.requestBytes = result.kind === "ok" ? result.body.length : 0;
      if (result.kind === "ok" && isPlainConnectUnary(req)) {
        const request = decodePush(result.body);
        if (request !== undefined) {
          const headers = pickHeaders(live.forwardHeaders, (name) => req.headers[name]);
          const error = await forward(live, request, ex.clientGoneSignal(), headers);
          ex.responseBytes = await sendConnectUnary(req, res, error);
          return;
        }
        // not a valid message: connect's handler answers it, in its words
      }
      const uReq = universalRequest(req, res, result);
      if (uReq === undefined) {
        ex.responseBytes = sendText(res, 400, "missing Host header");
        return;
      }
      const handler = handlerFor(live.bodyLimits.maxBytes);
      await withInflateReservation(inflated, async () => {
        const uRes = await remapConnectParseError(await handler(uReq));
        // connect-node's writer resolves on an "end" event Node's server responses never emit, so without
        // the race this would never finish (and the finally below never give back the budget)
        await Promise.race([
          universalResponseToNodeResponse(withAcceptPost(countBody(uRes, ex)), res),
          closed,
        ]);
      });
    } catch (err) {
      // writing failed: the client went away mid-response
      logger.debug({ err }, "push response not delivered");
      res.destroy();
    } finally {
      live.bodyLimits.budget.release(reserved);
      inflated.release();
    }
  };
}

/**
 * Whether the request is a plain Connect unary call with a binary body (what Pyroscope's SDKs and Alloy send),
 * which the push handler serves without connect's handler: POST (the router checked), `application/proto`,
 * no `Content-Encoding` and no `Connect-Timeout-Ms`, and an authority. Everything else goes through connect.
 */
export function isPlainConnectUnary(req: NodeServerRequest): boolean {
  const h = req.headers;
  return (
    h["content-type"] === "application/proto" &&
    h["content-encoding"] === undefined &&
    h["connect-timeout-ms"] === undefined &&
    (isHttp2(req) || h.host !== undefined)
  );
}

function decodePush(body: Uint8Array): PushRequest | undefined {
  try {
    return fromBinary(PushRequestSchema, body);
  } catch {
    return undefined;
  }
}

/**
 * Answers a Connect unary call as connect's handler does: an empty `PushResponse`, or the error as Connect
 * JSON with its HTTP status and metadata headers, gzip-compressed when the client accepts it and the body is
 * at least 1 KiB (connect's `compressMinBytes`). Returns the body size written.
 */
async function sendConnectUnary(
  req: NodeServerRequest,
  res: NodeServerResponse,
  error: ConnectError | undefined,
): Promise<number> {
  if (error === undefined) {
    // in the order connect writes them (a WHATWG Headers iterates sorted by name)
    res.writeHead(200, { "content-length": "0", "content-type": contentTypeUnaryProto });
    res.end();
    return 0;
  }
  const header = new Headers({ "content-type": contentTypeUnaryJson });
  error.metadata.forEach((value, key) => {
    header.set(key, value);
  });
  let body = errorToJsonBytes(error, {});
  const accept = req.headers["accept-encoding"];
  const compression = compressionNegotiate(
    [compressionGzip],
    null,
    Array.isArray(accept) ? accept.join(", ") : (accept ?? null),
    "Accept-Encoding",
  );
  if (compression.response !== null && body.byteLength >= CONNECT_COMPRESS_MIN_BYTES) {
    body = await compression.response.compress(body);
    header.set("content-encoding", compression.response.name);
  }
  header.set("content-length", String(body.byteLength));
  const nodeHeaders: Record<string, string> = {};
  header.forEach((value, key) => {
    nodeHeaders[key] = value;
  });
  res.writeHead(codeToHttpStatus(error.code), nodeHeaders);
  res.end(body);
  return body.byteLength;
}

/** connect's default `compressMinBytes`: smaller responses are sent uncompressed. */
const CONNECT_COMPRESS_MIN_BYTES = 1024;

/** Resolves when the response is done: written in full, or the connection closed. */
function whenClosed(res: NodeServerResponse): Promise<void> {
  return new Promise((resolve) => {
    res.once("close", () => resolve());
  });
}

/** The request body for connect: the bytes we read, or an iterable that fails with the reason we did not. */
function bodyOf(result: Exclude<BodyResult, { kind: "aborted" }>): AsyncIterable<Uint8Array> {
  switch (result.kind) {
    case "ok":
      return budgetedBody(result.body);
    case "too_large":
      return failing(
        new ConnectError(
          `request body too large: the limit is ${result.limit} bytes (max_request_body_size)`,
          Code.ResourceExhausted,
        ),
      );
    case "over_budget":
      return failing(
        new ConnectError(
          `too many request bytes in flight: the limit is ${result.limit} bytes (max_inflight_body_size), try again later`,
          Code.ResourceExhausted,
          { "Retry-After": "1" },
        ),
      );
    case "timeout":
      return failing(new ConnectError(timeoutMessage(result), Code.DeadlineExceeded));
  }
}

function universalRequest(
  req: NodeServerRequest,
  res: NodeServerResponse,
  result: Exclude<BodyResult, { kind: "aborted" }>,
): UniversalServerRequest | undefined {
  try {
    const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
    // connect checks a declared length before reading (make it read our error instead), and with one it
    // allocates its copy of the body before reading it (without one, after: see budgetedBody)
    uReq.header.delete("Content-Length");
    return { ...uReq, body: bodyOf(result) };
  } catch {
    return undefined; // no authority (an HTTP/1.0 request without Host)
  }
}

// biome-ignore lint/correctness/useYield: it only ever fails, on the first read.
async function* failing(error: ConnectError): AsyncIterable<Uint8Array> {
  throw error;
}

/**
 * Counts the response body bytes for `pyroscope_receive_http_response_message_bytes` (and fixes the gRPC
 * status of parse errors on the way, see parse-error.ts). Used by every route served by connect's handlers.
 */
export function countBody(uRes: UniversalServerResponse, ex: Exchange): UniversalServerResponse {
  const body = uRes.body;
  if (body === undefined) return uRes;
  return {
    ...uRes,
    body: (async function* counted() {
      for await (const chunk of remapGrpcParseError(body, uRes.trailer)) {
        ex.responseBytes += chunk.byteLength;
        yield chunk;
      }
    })(),
  };
}

function withAcceptPost(uRes: UniversalServerResponse): UniversalServerResponse {
  if (uRes.status !== 415) return uRes;
  const header = new Headers(uRes.header);
  header.set("Accept-Post", ACCEPT_POST);
  return { ...uRes, header };
}
