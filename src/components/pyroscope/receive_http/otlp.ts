/**
 * OTLP profiles in (v1development, proto v1.10.0), on the routes Grafana Pyroscope serves
 * (`pkg/ingester/otlp/ingest_handler.go`):
 *
 * - `POST /v1development/profiles` (OTLP/HTTP): `Content-Type` `application/x-protobuf`, `application/protobuf` or
 *   `application/json` (the protobuf JSON mapping), `Content-Encoding: gzip` allowed; another type → 415;
 * - gRPC `opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export` over HTTP/2 (h2c when the
 *   `http2` block is on, h2 over TLS), served by connect-es' gRPC handler; as in Pyroscope, an HTTP/1 request on the
 *   gRPC path with an OTLP/HTTP content type is served as OTLP/HTTP.
 *
 * Each profile is converted to pprof (`pyroscope/otlp/convert.ts`, Pyroscope's rules) and handed to every receiver
 * as a push (`{labels, samples: [{id, rawProfile}]}`), receivers concurrently, each pprof in order.
 *
 * Answers, as Pyroscope: 200 with an empty `ExportProfilesServiceResponse` (JSON `{}` for a JSON request); 400 for a
 * body that does not decode, a request without dictionary or resource profiles, or one whose profiles all fail to
 * convert; 413 past `max_request_body_size` (after gzip too); 429 + `Retry-After` over `max_inflight_body_size`.
 * Unlike Pyroscope (every downstream error → 500): a receiver failure worth retrying answers with its status
 * (gRPC: the matching code), so the client retries; when only some profiles were refused (not convertible, or
 * a receiver's 4xx) the rest is accepted and the answer is 200 with `partial_success` (count and message), the
 * OTLP way; when all were refused by a receiver, its status.
 */
import { fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import {
  type ExportProfilesServiceRequest,
  ExportProfilesServiceRequestSchema,
  type ExportProfilesServiceResponse,
  ExportProfilesServiceResponseSchema,
  ProfilesService,
} from "../../../pyroscope/gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.ts";
import { formatPrometheusLabels } from "../../../pyroscope/label-rules.ts";
import { convertExport, formatPosition } from "../../../pyroscope/otlp/convert.ts";
import { type ForwardedHeaders, isRetryable, type PushRequest } from "../../../pyroscope/receiver.ts";
import { ingestAnswer } from "./answer.ts";
import { handlerByLimit } from "./connect-handler.ts";
import { answerDeadline, forwardToAll, type LiveSettings, pickHeaders } from "./forward.ts";
import { budgetedGzip, InflateReservation, withInflateReservation } from "./inflate.ts";
import { type BodyResult, precheckBody, readBody, timeoutMessage } from "./limits.ts";
import type { OtlpMetrics } from "./metrics.ts";
import { countBody } from "./push.ts";
import { closeAfterResponse, isHttp2, type NodeServerResponse, sendText } from "./respond.ts";
import type { Exchange, RouteHandler } from "./router.ts";

/** The OTLP/HTTP path. */
export const OTLP_HTTP_PATH = "/v1development/profiles";
/** The prefix of the gRPC service's paths; only `Export` exists. */
export const OTLP_SERVICE_PREFIX = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/";
/** The gRPC method path. */
export const OTLP_GRPC_PATH = `${OTLP_SERVICE_PREFIX}Export`;

/** The OTLP/HTTP body types accepted (media type, parameters ignored). */
const PROTOBUF_TYPES = new Set(["application/x-protobuf", "application/protobuf"]);
const JSON_TYPE = "application/json";
/** How many of the refused profiles' messages an answer lists (the count is always complete). */
const MAX_MESSAGES = 10;

/** The answer to one export, for either transport. */
export type ExportAnswer =
  | { readonly kind: "ok"; readonly response: ExportProfilesServiceResponse }
  | {
      readonly kind: "error";
      readonly httpStatus: number;
      readonly code: Code;
      readonly message: string;
      readonly retryAfter?: string | undefined;
    };

/**
 * Converts a decoded export and hands every pprof to every receiver; the answer for the client. Records the
 * profile and conversion-failure metrics.
 */
export async function exportProfiles(
  live: LiveSettings,
  request: ExportProfilesServiceRequest,
  signal: AbortSignal,
  headers: ForwardedHeaders,
  metrics: OtlpMetrics,
  logger: Logger,
): Promise<ExportAnswer> {
  const conversion = convertExport(request);
  if (conversion.kind === "invalid") {
    return { kind: "error", httpStatus: 400, code: Code.InvalidArgument, message: conversion.message };
  }
  const total = conversion.profiles.length;
  /** Per OTLP profile (by its index in `conversion.profiles`): why it was refused, when it was. */
  const refused = new Map<number, string>();
  const retryable = new Set<number>();
  conversion.profiles.forEach((p, i) => {
    if ("error" in p) {
      metrics.conversionFailures.inc({ reason: p.error.reason });
      refused.set(i, `${formatPosition(p.position)}: failed to convert otel profile: ${p.error.message}`);
    }
  });
  const answerBy = answerDeadline(live);
  // every converted pprof, once, with the index of the OTLP profile it came from
  const pushes: { readonly index: number; readonly position: string; readonly request: PushRequest }[] = [];
  conversion.profiles.forEach((p, index) => {
    if (!("profiles" in p)) return;
    for (const pprof of p.profiles) {
      pushes.push({
        index,
        position: formatPosition(p.position),
        request: {
          labels: pprof.labels,
          samples: [{ id: pprof.id, rawProfile: pprof.rawProfile }],
          headers,
          signal,
          answerBy,
        },
      });
    }
  });
  const failures = await forwardToAll(
    live.receivers,
    pushes,
    (receiver, p) => receiver.push(p.request),
    (index, p, f) => {
      const line = `unable to append series ${formatPrometheusLabels(p.request.labels)} to appendable ${index}: ${f.message}`;
      if (isRetryable(f.code)) retryable.add(p.index);
      if (!refused.has(p.index)) refused.set(p.index, `${p.position}: ${line}`);
      return line;
    },
  );
  if (failures.length > 0) {
    logger.warn({ errors: failures.map((f) => f.text) }, "Failed to forward OTLP profiles");
  }
  metrics.profiles.inc({ result: "accepted" }, total - refused.size);
  metrics.profiles.inc({ result: "rejected" }, refused.size - retryable.size);
  metrics.profiles.inc({ result: "failed" }, retryable.size);

  const message = summarize([...refused.values()]);
  if (retryable.size > 0 || (refused.size === total && total > 0 && failures.length > 0)) {
    // worth retrying, or every profile refused downstream: the status of the deciding receiver failure
    const answer = ingestAnswer(failures);
    return {
      kind: "error",
      httpStatus: answer.status,
      code: answer.code,
      message,
      retryAfter: answer.headers["Retry-After"],
    };
  }
  if (refused.size === total && total > 0) {
    // nothing convertible, as Pyroscope answers a conversion failure
    return { kind: "error", httpStatus: 400, code: Code.InvalidArgument, message };
  }
  if (refused.size === 0) return { kind: "ok", response: emptyResponse() };
  return {
    kind: "ok",
    response: {
      ...emptyResponse(),
      partialSuccess: {
        $typeName: "opentelemetry.proto.collector.profiles.v1development.ExportProfilesPartialSuccess",
        rejectedProfiles: BigInt(refused.size),
        errorMessage: message,
      },
    },
  };
}

/** Builds the handler of both OTLP routes (the router sends `/v1development/profiles` and the service prefix). */
export function createOtlpHandler(
  settings: () => LiveSettings,
  metrics: OtlpMetrics,
  logger: Logger,
): RouteHandler {
  const impl = {
    async export(request: ExportProfilesServiceRequest, context: HandlerContext) {
      metrics.requests.inc({ protocol: "grpc" });
      const live = settings();
      const headers = pickHeaders(live.forwardHeaders, (name) => context.requestHeader.get(name));
      const answer = await exportProfiles(live, request, context.signal, headers, metrics, logger);
      if (answer.kind === "error") {
        const meta = answer.retryAfter === undefined ? undefined : { "Retry-After": answer.retryAfter };
        throw new ConnectError(answer.message, answer.code, meta);
      }
      return answer.response;
    },
  };

  /** connect's gRPC-only handler of `Export` for a body limit. */
  const grpcHandlerFor = handlerByLimit(
    OTLP_GRPC_PATH,
    { connect: false, grpcWeb: false, grpc: true },
    (router) => router.service(ProfilesService, impl),
  );

  return async function otlp(ex: Exchange): Promise<void> {
    const { req, res } = ex;
    if (ex.path !== OTLP_HTTP_PATH && ex.path !== OTLP_GRPC_PATH) {
      if (ex.expectsContinue) closeAfterResponse(req, res);
      ex.responseBytes = sendText(res, 404, "404 page not found");
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    const grpc = isHttp2(req) && contentType.startsWith("application/grpc");
    const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
    const json = mediaType === JSON_TYPE;
    if (!grpc && !json && !PROTOBUF_TYPES.has(mediaType)) {
      if (ex.expectsContinue) closeAfterResponse(req, res);
      ex.responseBytes = sendText(res, 415, `Unsupported Content-Type: ${contentType}`);
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
    if (result.kind !== "ok") {
      closeAfterResponse(req, res);
      ex.responseBytes = grpc ? sendGrpcBodyProblem(res, result) : sendHttpBodyProblem(res, result);
      return;
    }
    ex.requestBytes = result.body.length;
    // what a gzip body inflates to is held too: it counts against the same budget (see inflate.ts)
    const inflated = new InflateReservation(live.bodyLimits.budget);
    try {
      if (grpc) {
        await serveGrpc(ex, result.body, grpcHandlerFor(live.bodyLimits.maxBytes), inflated);
        return;
      }
      const body = await inflateHttpBody(ex, result.body, live, inflated);
      if (body === undefined) return;
      let request: ExportProfilesServiceRequest;
      try {
        request = json
          ? fromJsonString(ExportProfilesServiceRequestSchema, new TextDecoder().decode(body), {
              ignoreUnknownFields: true,
            })
          : fromBinary(ExportProfilesServiceRequestSchema, body);
      } catch (err) {
        const what = json ? "Failed to parse JSON request" : "Failed to parse protobuf request";
        ex.responseBytes = sendText(res, 400, `${what}: ${(err as Error).message}`);
        return;
      }
      metrics.requests.inc({ protocol: json ? "http_json" : "http_protobuf" });
      const headers = pickHeaders(live.forwardHeaders, (name) => req.headers[name]);
      const answer = await exportProfiles(live, request, ex.clientGoneSignal(), headers, metrics, logger);
      if (answer.kind === "error") {
        const retry: Record<string, string> =
          answer.retryAfter === undefined ? {} : { "Retry-After": answer.retryAfter };
        ex.responseBytes = sendText(res, answer.httpStatus, answer.message, retry);
        return;
      }
      const bytes = json
        ? Buffer.from(toJsonString(ExportProfilesServiceResponseSchema, answer.response))
        : toBinary(ExportProfilesServiceResponseSchema, answer.response);
      res.writeHead(200, {
        "Content-Type": json ? JSON_TYPE : "application/x-protobuf",
        "Content-Length": String(bytes.length),
      });
      res.end(bytes);
      ex.responseBytes = bytes.length;
    } catch (err) {
      // writing failed: the client went away mid-response
      logger.debug({ err }, "OTLP response not delivered");
      res.destroy();
    } finally {
      live.bodyLimits.budget.release(result.reserved);
      inflated.release();
    }
  };
}

/**
 * The OTLP/HTTP body, gunzipped when `Content-Encoding: gzip`, the inflated size bounded by `max_request_body_size`
 * and counted against the in-flight budget. Answers the client and returns undefined when it cannot be had.
 */
async function inflateHttpBody(
  ex: Exchange,
  body: Uint8Array,
  live: LiveSettings,
  reservation: InflateReservation,
): Promise<Uint8Array | undefined> {
  const { res } = ex;
  const encoding = (ex.req.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return body;
  if (encoding !== "gzip") {
    ex.responseBytes = sendText(res, 415, `Unsupported Content-Encoding: ${encoding}`);
    return undefined;
  }
  const limit = live.bodyLimits.maxBytes;
  try {
    return await withInflateReservation(reservation, () => budgetedGzip.decompress(body, limit));
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code === Code.ResourceExhausted && e.metadata.has("Retry-After")) {
      ex.responseBytes = sendText(res, 429, e.rawMessage, { "Retry-After": e.metadata.get("Retry-After")! });
    } else if (e.code === Code.ResourceExhausted) {
      ex.responseBytes = sendText(
        res,
        413,
        `uncompressed request body too large: the limit is ${limit} bytes (max_request_body_size)`,
      );
    } else {
      ex.responseBytes = sendText(res, 400, "Failed to read request body: the gzip stream is not valid");
    }
    return undefined;
  }
}

/** Serves a gRPC call through connect's handler with the body we read. */
async function serveGrpc(
  ex: Exchange,
  body: Uint8Array,
  handler: UniversalHandler,
  reservation: InflateReservation,
): Promise<void> {
  const { req, res } = ex;
  const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
  const uReq = { ...universalRequestFromNodeRequest(req, res, undefined, undefined), body: once(body) };
  await withInflateReservation(reservation, async () => {
    const uRes = await handler(uReq);
    // connect-node's writer resolves on an "end" event Node's server responses never emit: race it with close
    await Promise.race([universalResponseToNodeResponse(countBody(uRes, ex), res), closed]);
  });
}

/** Answers a gRPC call whose body could not be read, as a trailers-only response; returns 0 (no body). */
function sendGrpcBodyProblem(
  res: NodeServerResponse,
  problem: Exclude<BodyResult, { kind: "ok" | "aborted" }>,
): number {
  const [code, message, retry] = describeBodyProblem(problem);
  const grpcCode = code === 413 || code === 429 ? Code.ResourceExhausted : Code.DeadlineExceeded;
  res.writeHead(200, {
    "content-type": "application/grpc",
    "grpc-status": String(grpcCode),
    "grpc-message": encodeURIComponent(message),
    ...(retry ? { "retry-after": "1" } : {}),
  });
  res.end();
  return 0;
}

/** Answers an OTLP/HTTP request whose body could not be read (413, 429, 408); returns the body size. */
function sendHttpBodyProblem(
  res: NodeServerResponse,
  problem: Exclude<BodyResult, { kind: "ok" | "aborted" }>,
): number {
  const [status, message, retry] = describeBodyProblem(problem);
  return sendText(res, status, message, retry ? { "Retry-After": "1" } : {});
}

/** The status, message and whether to send `Retry-After` for a body that could not be read (as `/ingest`). */
function describeBodyProblem(
  problem: Exclude<BodyResult, { kind: "ok" | "aborted" }>,
): [number, string, boolean] {
  switch (problem.kind) {
    case "too_large":
      return [
        413,
        `request body too large: the limit is ${problem.limit} bytes (max_request_body_size)`,
        false,
      ];
    case "over_budget":
      return [
        429,
        `too many request bytes in flight: the limit is ${problem.limit} bytes (max_inflight_body_size), try again later`,
        true,
      ];
    case "timeout":
      return [408, timeoutMessage(problem), false];
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** The first `MAX_MESSAGES` messages, one per line, and how many more there were. */
function summarize(messages: readonly string[]): string {
  const shown = messages.slice(0, MAX_MESSAGES);
  if (messages.length > shown.length) shown.push(`… and ${messages.length - shown.length} more`);
  return shown.join("\n");
}

function emptyResponse(): ExportProfilesServiceResponse {
  return { $typeName: "opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceResponse" };
}
