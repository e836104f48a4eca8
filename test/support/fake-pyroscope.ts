/**
 * A fake Pyroscope backend for tests: a real HTTP server on 127.0.0.1 (port 0) that records every `/ingest`
 * upload and every Connect push (`/push.v1.PusherService/Push`, decoded with the generated code), and answers
 * as the test programs it: status codes, Connect error codes, plain-HTTP errors, `Retry-After`, delays, hangs,
 * connection resets, "fail the first N".
 *
 * Requests are recognised by the end of their path, so an endpoint URL with a prefix (`/pyroscope/ingest`)
 * works. The Connect side speaks the unary Connect protocol only (binary and JSON, gzip `Content-Encoding`),
 * which is what `pyroscope.write` sends.
 */

import * as http from "node:http";
import { STATUS_CODES } from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { gunzipSync } from "node:zlib";
import { fromBinary, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { codeFromString, codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { type PushRequest, PushRequestSchema } from "../../src/pyroscope/gen/push/v1/push_pb.ts";

/** Connect error codes by their wire name. */
export type ConnectCodeName =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

/** The HTTP status a Connect server answers a code with (connect's `codeToHttpStatus`). */
export function connectCodeHttpStatus(code: ConnectCodeName): number {
  return codeToHttpStatus(codeFromString(code)!);
}

/** The path suffix of the push API. */
export const PUSH_PATH = "/push.v1.PusherService/Push";

/** What the fake answers to one request. Every field is optional; `{}` is a success. */
export interface FakeAnswer {
  /** HTTP status. Default 200, or the code's status when `connectCode` is set. */
  readonly status?: number;
  /** Push only: answer with a Connect error (JSON `{"code","message"}`) instead of a plain HTTP one. */
  readonly connectCode?: ConnectCodeName;
  /** The Connect error message, or the body of a plain response. */
  readonly message?: string;
  /** A plain response body (wins over `message` for non-Connect answers). */
  readonly body?: string | Uint8Array;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sets `Retry-After` (seconds or an HTTP date). */
  readonly retryAfter?: number | string;
  /** Waits this long before answering (the request is recorded at once). */
  readonly delayMs?: number;
  /** Never answers: the request stays open until the client gives up or the fake is closed. */
  readonly hang?: boolean;
  /** Destroys the connection instead of answering (a connection reset). */
  readonly reset?: boolean;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  readonly kind: "ingest" | "push" | "other";
  /** 0-based arrival order among all requests. */
  readonly index: number;
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Headers with lower-case names (Node drops duplicates of some, e.g. `content-type`: see `headerValues`). */
  readonly headers: http.IncomingHttpHeaders;
  /** Alternating names and values, exactly as received. */
  readonly rawHeaders: readonly string[];
  readonly httpVersion: string;
  /** The body bytes as received (for a push, before any `Content-Encoding` is undone). */
  readonly body: Buffer;
  /** A push, decoded; undefined for other kinds or when it did not decode (see `pushError`). */
  readonly push: PushRequest | undefined;
  readonly pushError: string | undefined;
  /** The CN of the TLS client certificate, when the client presented one. */
  readonly clientCertificateCN: string | undefined;
  /** `performance.now()` at arrival, for ordering (never for timing assertions). */
  readonly receivedAt: number;
}

/** Decides the answer to a request; `undefined` means the default (success, or 404 for unknown paths). */
export type Responder = (
  request: RecordedRequest,
) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

export interface FakePyroscopeOptions {
  /** Programs the answers. */
  readonly respond?: Responder;
  /** The first N requests (of any kind except unknown paths) get `failWith`; later ones go to `respond`. */
  readonly failFirst?: number;
  /** The failure for `failFirst`. Default `{ status: 503, connectCode: "unavailable", message: "try later" }`. */
  readonly failWith?: FakeAnswer;
  /** Serve HTTPS with this key/certificate (PEM). `requestCert` + `ca` make it ask for client certificates. */
  readonly tls?: {
    readonly key: string | Buffer;
    readonly cert: string | Buffer;
    readonly ca?: string | Buffer;
    readonly requestCert?: boolean;
  };
  /** With `tls`: also offer HTTP/2 (ALPN `h2`, HTTP/1.1 still accepted). */
  readonly http2?: boolean;
}

export interface FakePyroscope {
  /** `http(s)://127.0.0.1:<port>` without a trailing slash. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** The `/ingest` requests so far. */
  readonly ingests: readonly RecordedRequest[];
  /** The push requests so far. */
  readonly pushes: readonly RecordedRequest[];
  /** Replaces the responder (e.g. to recover after failures). */
  setResponder(respond: Responder | undefined): void;
  /**
   * Resolves with the matching requests once at least `n` have arrived; rejects after `timeoutMs` (default
   * 5000) or when the fake closes.
   */
  waitFor(
    n: number,
    options?: { kind?: RecordedRequest["kind"]; timeoutMs?: number },
  ): Promise<RecordedRequest[]>;
  /** Stops listening and destroys every open connection (hung requests included). */
  close(): Promise<void>;
}

const DEFAULT_FAILURE: FakeAnswer = { status: 503, connectCode: "unavailable", message: "try later" };

/** Every value of a header, in order, from the raw headers (e.g. several `Content-Type` lines). */
export function headerValues(request: RecordedRequest, name: string): string[] {
  const out: string[] = [];
  const lower = name.toLowerCase();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.toLowerCase() === lower) {
      out.push(request.rawHeaders[i + 1]!);
    }
  }
  return out;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

interface Waiter {
  readonly check: () => boolean;
  readonly reject: (err: Error) => void;
}

/** Starts a fake Pyroscope on 127.0.0.1, port 0. Close it in `after`/`t.after`. */
export async function startFakePyroscope(options: FakePyroscopeOptions = {}): Promise<FakePyroscope> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<Waiter>();
  let respond = options.respond;
  let failuresLeft = options.failFirst ?? 0;
  let closed = false;

  const notify = (): void => {
    for (const w of waiters) {
      w.check();
    }
  };

  const handler = (req: Req, res: Res): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      const recorded = record(req, Buffer.concat(chunks), requests.length);
      requests.push(recorded);
      notify();
      void answer(recorded, res);
    });
  };

  const answer = async (request: RecordedRequest, res: Res): Promise<void> => {
    let chosen: FakeAnswer | undefined;
    if (request.kind !== "other" && failuresLeft > 0) {
      failuresLeft--;
      chosen = options.failWith ?? DEFAULT_FAILURE;
    } else {
      chosen = await respond?.(request);
    }
    const a = chosen ?? {};
    if (a.hang === true || closed) {
      return;
    }
    if (a.delayMs !== undefined && a.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, a.delayMs);
        timers.add(t);
      });
      if (closed) {
        return;
      }
    }
    if (a.reset === true) {
      destroy(res);
      return;
    }
    write(request, a, res);
  };

  const server = createServer(options, handler);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`;

  return {
    url,
    requests,
    get ingests() {
      return requests.filter((r) => r.kind === "ingest");
    },
    get pushes() {
      return requests.filter((r) => r.kind === "push");
    },
    setResponder(r) {
      respond = r;
    },
    waitFor(n, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 5000;
      const matching = () => requests.filter((r) => opts.kind === undefined || r.kind === opts.kind);
      return new Promise<RecordedRequest[]>((resolve, reject) => {
        if (closed) {
          reject(new Error("fake pyroscope closed"));
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `fake pyroscope: waited ${timeoutMs}ms for ${n} ${opts.kind ?? ""} requests, got ${matching().length}`,
            ),
          );
        }, timeoutMs);
        const waiter: Waiter = {
          check: () => {
            const got = matching();
            if (got.length < n) {
              return false;
            }
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(got);
            return true;
          },
          reject: (err) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(err);
          },
        };
        waiters.add(waiter);
        waiter.check();
      });
    },
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      for (const t of timers) {
        clearTimeout(t);
      }
      for (const w of [...waiters]) {
        w.reject(new Error("fake pyroscope closed"));
      }
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) {
        s.destroy();
      }
      await done;
    },
  };
}

function createServer(
  options: FakePyroscopeOptions,
  handler: (req: Req, res: Res) => void,
): http.Server | https.Server | http2.Http2SecureServer {
  const tls = options.tls;
  if (tls === undefined) {
    return http.createServer(handler);
  }
  const tlsOptions = { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert ?? false };
  if (options.http2 === true) {
    return http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, handler);
  }
  return https.createServer(tlsOptions, handler);
}

function record(req: Req, body: Buffer, index: number): RecordedRequest {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const kind = path.endsWith(PUSH_PATH) ? "push" : path.endsWith("/ingest") ? "ingest" : "other";
  let push: PushRequest | undefined;
  let pushError: string | undefined;
  if (kind === "push") {
    try {
      push = decodePush(req.headers, body);
    } catch (err) {
      pushError = err instanceof Error ? err.message : String(err);
    }
  }
  return {
    kind,
    index,
    method: req.method ?? "",
    url,
    path,
    query: q < 0 ? "" : url.slice(q + 1),
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    body,
    push,
    pushError,
    clientCertificateCN: peerCN(req),
    receivedAt: performance.now(),
  };
}

function peerCN(req: Req): string | undefined {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket)) {
    return undefined;
  }
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === "string" && cn !== "" ? cn : undefined;
}

function decodePush(headers: http.IncomingHttpHeaders, body: Buffer): PushRequest {
  const encoding = headers["content-encoding"] ?? "identity";
  const buf = encoding === "gzip" ? gunzipSync(body) : body;
  // A plain Uint8Array view, so decoded `rawProfile`s are Uint8Arrays (not Buffers) and compare as such.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (isJson(headers)) {
    return fromJson(PushRequestSchema, JSON.parse(buf.toString("utf8")) as JsonValue, {
      ignoreUnknownFields: true,
    });
  }
  return fromBinary(PushRequestSchema, bytes);
}

function isJson(headers: http.IncomingHttpHeaders): boolean {
  return (headers["content-type"] ?? "").startsWith("application/json");
}

function write(request: RecordedRequest, a: FakeAnswer, res: Res): void {
  const headers: Record<string, string> = { ...a.headers };
  if (a.retryAfter !== undefined) {
    headers["retry-after"] = String(a.retryAfter);
  }
  if (request.kind === "push") {
    writePush(request, a, headers, res);
    return;
  }
  const status = a.status ?? (request.kind === "other" ? 404 : 200);
  const body =
    a.body ?? a.message ?? (request.kind === "other" && a.status === undefined ? "404 page not found\n" : "");
  if (status !== 200 && headers["content-type"] === undefined) {
    headers["content-type"] = "text/plain; charset=utf-8";
  }
  send(res, status, headers, body);
}

function writePush(request: RecordedRequest, a: FakeAnswer, headers: Record<string, string>, res: Res): void {
  const contentType = request.headers["content-type"] ?? "";
  const encoding = request.headers["content-encoding"] ?? "identity";
  const version = request.headers["connect-protocol-version"];
  // Protocol errors first, as a Connect server would answer them.
  if (request.method !== "POST") {
    send(res, 405, { allow: "POST", ...headers }, "");
    return;
  }
  if (!/^application\/(proto|json)(;\s*charset=utf-8)?$/i.test(contentType)) {
    send(res, 415, { "accept-post": "application/json, application/proto", ...headers }, "");
    return;
  }
  if (encoding !== "gzip" && encoding !== "identity") {
    connectError(
      res,
      "unimplemented",
      `unknown compression "${encoding}": supported encodings are gzip`,
      headers,
    );
    return;
  }
  if (version !== undefined && version !== "1") {
    connectError(res, "invalid_argument", `connect-protocol-version must be "1": got "${version}"`, headers);
    return;
  }
  if (request.pushError !== undefined) {
    connectError(
      res,
      "invalid_argument",
      `unmarshal into push.v1.PushRequest: ${request.pushError}`,
      headers,
    );
    return;
  }
  // Programmed answers.
  if (a.connectCode !== undefined) {
    connectError(res, a.connectCode, a.message ?? "", headers, a.status);
    return;
  }
  const status = a.status ?? 200;
  if (status !== 200) {
    send(
      res,
      status,
      { "content-type": "text/plain; charset=utf-8", ...headers },
      a.body ?? a.message ?? STATUS_CODES[status] ?? "",
    );
    return;
  }
  const json = isJson(request.headers);
  send(
    res,
    200,
    { "content-type": json ? "application/json" : "application/proto", ...headers },
    json ? "{}" : "",
  );
}

function connectError(
  res: Res,
  code: ConnectCodeName,
  message: string,
  headers: Record<string, string>,
  status?: number,
): void {
  send(
    res,
    status ?? connectCodeHttpStatus(code),
    { "content-type": "application/json", ...headers },
    JSON.stringify({ code, message }),
  );
}

function send(res: Res, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
  if (res instanceof http2.Http2ServerResponse) {
    res.writeHead(status, headers);
    res.end(body);
    return;
  }
  res.writeHead(status, headers);
  res.end(body);
}

function destroy(res: Res): void {
  if (res instanceof http2.Http2ServerResponse) {
    res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  res.socket?.destroy();
}
