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
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createConnectRouter,
  type HandlerContext,
} from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import {
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { Logger } from "pino";
import {
  PusherService,
  type PushRequest,
  type PushResponse,
} from "../../../pyroscope/gen/push/v1/push_pb.ts";
import {
  ensureServiceName,
  formatPrometheusLabels,
  labelsFromPairs,
} from "../../../pyroscope/label-rules.ts";
import type { Outcome } from "../../../pyroscope/receiver.ts";
import {
  callReceiver,
  decisiveFailure,
  type Failure,
  type LiveSettings,
  pickHeaders,
  retryAfterSeconds,
} from "./forward.ts";
import { type BodyResult, precheckBody, readBody } from "./limits.ts";
import { remapConnectParseError, remapGrpcParseError } from "./parse-error.ts";
import { closeAfterResponse, type NodeServerRequest, type NodeServerResponse, sendText } from "./respond.ts";
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

/** The Connect code for a receiver's outcome: the downstream's meaning, not Alloy's blanket `internal`. */
export function codeForOutcome(outcome: Exclude<Outcome, { status: "ok" }>): Code {
  const s = outcome.httpStatus;
  if (s === 429) return Code.ResourceExhausted;
  if (s === 408 || s === 504) return Code.DeadlineExceeded;
  if (s === 499) return Code.Canceled;
  if (outcome.status === "failed") {
    return s === 502 || s === 503 ? Code.Unavailable : Code.Internal;
  }
  switch (s) {
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 409:
      return Code.AlreadyExists;
    case 412:
      return Code.FailedPrecondition;
    case 501:
      return Code.Unimplemented;
    default:
      // 400, 413, 422 and any other refusal: the request itself is wrong, retrying will not help
      return s >= 500 ? Code.Internal : Code.InvalidArgument;
  }
}

/** Builds the push route handler; `settings` is read once per request. */
export function createPushHandler(settings: () => LiveSettings, logger: Logger): RouteHandler {
  let handler: UniversalHandler | undefined;
  let handlerLimit = -1;

  const impl = {
    async push(request: PushRequest, context: HandlerContext): Promise<Partial<PushResponse>> {
      const live = settings();
      const headers = pickHeaders(live.forwardHeaders, (name) => context.requestHeader.get(name));
      const failures: Failure[] = [];
      await Promise.all(
        live.receivers.map(async (receiver, index) => {
          for (const series of request.series) {
            const pairsLabels = labelsFromPairs(series.labels);
            const labels = ensureServiceName(pairsLabels);
            const samples = series.samples.map((s) => ({ id: s.ID, rawProfile: s.rawProfile }));
            const outcome = await callReceiver(() =>
              receiver.push({ labels, samples, signal: context.signal, headers }),
            );
            if (outcome.status !== "ok") {
              const where = `unable to append series ${formatPrometheusLabels(pairsLabels)} to appendable ${index}`;
              failures.push({ outcome, message: `${where}: ${outcome.message}` });
            }
          }
        }),
      );
      if (failures.length > 0) {
        const messages = failures.map((f) => f.message);
        logger.warn({ errors: messages }, "Failed to forward profiles requests");
        const failure = decisiveFailure(failures)!;
        const retryAfter = retryAfterSeconds(failure);
        throw new ConnectError(
          messages.join("\n"),
          codeForOutcome(failure.outcome),
          retryAfter === undefined ? undefined : { "Retry-After": retryAfter },
        );
      }
      return {};
    },
  };

  function handlerFor(readMaxBytes: number): UniversalHandler {
    if (handler === undefined || handlerLimit !== readMaxBytes) {
      const router: ConnectRouter = createConnectRouter({
        acceptCompression: [compressionGzip],
        ...(readMaxBytes > 0 ? { readMaxBytes } : {}),
      });
      router.service(PusherService, impl);
      const found = router.handlers.find((h) => h.requestPath === PUSH_PATH);
      if (found === undefined) throw new Error(`no handler for ${PUSH_PATH}`);
      handler = found;
      handlerLimit = readMaxBytes;
    }
    return handler;
  }

  return async function push(ex: Exchange): Promise<void> {
    const { req, res } = ex;
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
    try {
      ex.requestBytes = result.kind === "ok" ? result.body.length : 0;
      const uReq = universalRequest(req, res, result);
      if (uReq === undefined) {
        ex.responseBytes = sendText(res, 400, "missing Host header");
        return;
      }
      const uRes = await remapConnectParseError(await handlerFor(live.bodyLimits.maxBytes)(uReq));
      await universalResponseToNodeResponse(withAcceptPost(countBody(uRes, ex)), res);
    } catch (err) {
      // writing failed: the client went away mid-response
      logger.debug({ err }, "push response not delivered");
      res.destroy();
    } finally {
      live.bodyLimits.budget.release(reserved);
    }
  };
}

/** The request body for connect: the bytes we read, or an iterable that fails with the reason we did not. */
function bodyOf(result: Exclude<BodyResult, { kind: "aborted" }>): AsyncIterable<Uint8Array> {
  switch (result.kind) {
    case "ok":
      return once(result.body);
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
      return failing(
        new ConnectError(
          `request body not received within ${result.timeoutMs}ms (server_read_timeout)`,
          Code.DeadlineExceeded,
        ),
      );
  }
}

function universalRequest(
  req: NodeServerRequest,
  res: NodeServerResponse,
  result: Exclude<BodyResult, { kind: "aborted" }>,
): UniversalServerRequest | undefined {
  try {
    const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
    if (result.kind !== "ok") {
      // connect checks a declared length before reading; make it read our error instead
      uReq.header.delete("Content-Length");
    }
    return { ...uReq, body: bodyOf(result) };
  } catch {
    return undefined; // no authority (an HTTP/1.0 request without Host)
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

// biome-ignore lint/correctness/useYield: it only ever fails, on the first read.
async function* failing(error: ConnectError): AsyncIterable<Uint8Array> {
  throw error;
}

/**
 * Counts the response body bytes for `pyroscope_receive_http_response_message_bytes` (and fixes the gRPC
 * status of parse errors on the way, see parse-error.ts).
 */
function countBody(uRes: UniversalServerResponse, ex: Exchange): UniversalServerResponse {
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
