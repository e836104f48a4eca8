/**
 * One configured endpoint of `pyroscope.write`: its HTTP client and single attempts on both paths.
 *
 * - Push: a Connect unary call to `<url>/push.v1.PusherService/Push` with binary protobuf, made by
 *   `@connectrpc/connect`'s Connect-protocol transport over our undici-based HTTP client (so TLS, proxies, auth
 *   and HTTP/2 apply), with `Connect-Timeout-Ms` = `remote_timeout`.
 * - Ingest: `POST <url path>/ingest?<query>` with the body exactly as received; success is HTTP 200.
 *
 * Each attempt returns a value (`AttemptResult`) with the failure classified for the retry policy and the
 * error text worded as Alloy's.
 */
import { STATUS_CODES } from "node:http";
import { posix } from "node:path";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import type { UniversalClientRequest, UniversalClientResponse } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-connect";
import { compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { goMethod, HttpClient, type HttpClientOptions } from "../../../http/client.ts";
import { startDeadline } from "../../../http/deadline.ts";
import { HeaderList, HOP_BY_HOP_HEADERS, isValidHeaderName } from "../../../http/headers.ts";
import { redactUrl } from "../../../http/redact-url.ts";
import { USER_AGENT } from "../../../http/user-agent.ts";
import { PusherService, type PushRequest } from "../../../pyroscope/gen/push/v1/push_pb.ts";
import type { EndpointArguments } from "./arguments.ts";
import type { ConnectCodeName, Failure } from "./retry.ts";

/** A failed attempt: why (for the retry policy), Alloy's error text, and what the downstream said. */
export interface AttemptFailure {
  readonly ok: false;
  readonly failure: Failure;
  /** The error as Alloy words it, e.g. `unavailable: HTTP status 503 Service Unavailable`. */
  readonly error: string;
  /** The downstream's HTTP status, when it answered. */
  readonly httpStatus?: number | undefined;
  /** The downstream's own message (Connect error message, or the first 2 KiB of the body). */
  readonly downstreamMessage?: string | undefined;
  /** A `Retry-After` value from a 429 or 503 answer. */
  readonly retryAfter?: string | undefined;
}

/** The result of one attempt. */
export type AttemptResult = { readonly ok: true } | AttemptFailure;

/** An ingest call as the fan-out prepares it once for every endpoint. */
export interface IngestCall {
  readonly body: Uint8Array;
  readonly contentType: readonly string[];
  /** The incoming path, joined to the endpoint URL's path. */
  readonly path: string;
  /** The encoded query to send (with `name` rebuilt). */
  readonly query: string;
  readonly forwardedHeaders: HeaderList;
}

/** A query WHATWG URL serialization leaves unchanged (unreserved characters, escapes, `+`, `=`, `&`). */
const PLAIN_QUERY = /^[A-Za-z0-9\-._~%+=&]*$/;

/** Alloy keeps this much of a failed ingest response body as the error message. */
export const ERROR_BODY_LIMIT = 2048;

const OK: AttemptResult = { ok: true };

/** Headers Go's client would not send as given (`Host`, `Content-Length`) or that describe one connection. */
const IGNORED_CONFIGURED = new Set([...HOP_BY_HOP_HEADERS, "host", "content-length"]);

/** Headers a client's forwarded headers may never set: protocol, body, hop-by-hop and identity headers. */
const NOT_FORWARDABLE = new Set([
  ...IGNORED_CONFIGURED,
  "content-type",
  "content-encoding",
  "accept-encoding",
  "user-agent",
  "expect",
  "cookie",
]);

const CODE_NAMES: Readonly<Record<number, ConnectCodeName>> = {
  [Code.Canceled]: "canceled",
  [Code.Unknown]: "unknown",
  [Code.InvalidArgument]: "invalid_argument",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.NotFound]: "not_found",
  [Code.AlreadyExists]: "already_exists",
  [Code.PermissionDenied]: "permission_denied",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.Aborted]: "aborted",
  [Code.OutOfRange]: "out_of_range",
  [Code.Unimplemented]: "unimplemented",
  [Code.Internal]: "internal",
  [Code.Unavailable]: "unavailable",
  [Code.DataLoss]: "data_loss",
  [Code.Unauthenticated]: "unauthenticated",
};

/** Per-endpoint build options. */
export interface EndpointOptions extends HttpClientOptions {
  readonly logger: Logger;
}

/** One endpoint: its settings, its HTTP client, and single push and ingest attempts. */
export class Endpoint {
  readonly args: EndpointArguments;
  /** The `endpoint` label of the write metrics: the endpoint's `name`, else its URL (password redacted). */
  readonly metricLabel: string;
  /** The URL for messages and logs (password redacted). */
  readonly displayUrl: string;
  readonly #client: HttpClient;
  readonly #base: URL;
  readonly #headers: HeaderList;
  /** Lower-case header names the endpoint configures itself (they win over forwarded ones). */
  readonly #ownHeaderNames: ReadonlySet<string>;
  readonly #hasAuth: boolean;
  /** `ingestUrl` without the query, by incoming path. */
  readonly #ingestPrefixes = new Map<string, string>();

  private constructor(args: EndpointArguments, base: URL, client: HttpClient, headers: HeaderList) {
    this.args = args;
    this.#base = base;
    this.#client = client;
    this.#headers = headers;
    this.displayUrl = redactUrl(args.url);
    this.metricLabel = args.name !== "" ? args.name : this.displayUrl;
    this.#ownHeaderNames = new Set([
      ...headers.names(),
      ...Object.keys(args.http_headers ?? {}).map((n) => n.toLowerCase()),
    ]);
    this.#hasAuth =
      args.basic_auth !== undefined ||
      args.authorization !== undefined ||
      args.oauth2 !== undefined ||
      (args.bearer_token?.reveal() ?? "") !== "" ||
      (args.bearer_token_file ?? "") !== "";
  }

  /** Builds the endpoint's client. Throws on a URL or TLS setting that cannot work. */
  static async create(args: EndpointArguments, options: EndpointOptions): Promise<Endpoint> {
    let base: URL;
    try {
      base = new URL(args.url);
    } catch {
      throw new Error(`endpoint url "${redactUrl(args.url)}" is not a valid URL`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new Error(`endpoint url "${redactUrl(args.url)}" must use http or https`);
    }
    const headers = new HeaderList();
    for (const [name, value] of Object.entries(args.headers ?? {})) {
      if (!isValidHeaderName(name)) throw new Error(`invalid header field name "${name}" in headers`);
      if (IGNORED_CONFIGURED.has(name.toLowerCase())) {
        options.logger.warn({ header: name }, "ignoring a connection-level header in endpoint headers");
        continue;
      }
      headers.set(name, value);
    }
    const client = await HttpClient.create(args, options);
    return new Endpoint(args, base, client, headers);
  }

  /** Closes the endpoint's connections once in-flight requests are done. */
  close(): Promise<void> {
    return this.#client.close();
  }

  /**
   * The forwarded headers this endpoint sends: not hop-by-hop or protocol headers, not a header the endpoint
   * configures itself, and no `Authorization` when the endpoint has its own credentials.
   */
  #forwarded(forwarded: HeaderList, target: HeaderList): void {
    for (const name of forwarded.names()) {
      if (NOT_FORWARDABLE.has(name) || name.startsWith("connect-") || this.#ownHeaderNames.has(name))
        continue;
      if (name === "authorization" && this.#hasAuth) continue;
      for (const v of forwarded.getAll(name)) target.add(name, v);
    }
  }

  /** One push attempt. */
  async pushAttempt(
    message: PushRequest,
    forwarded: HeaderList,
    signal: AbortSignal,
  ): Promise<AttemptResult> {
    const timeoutMs = this.args.remote_timeout;
    if (timeoutMs <= 0) {
      return {
        ok: false,
        failure: { kind: "deadline" },
        error: "deadline_exceeded: context deadline exceeded",
      };
    }
    const headers = new HeaderList();
    this.#forwarded(forwarded, headers);
    for (const name of this.#headers.names()) headers.set(name, this.#headers.get(name) ?? "");
    const seen: PushSeen = {};
    const transport = createTransport({
      httpClient: (req) => this.#universal(req, seen),
      baseUrl: pushBaseUrl(this.#base),
      useBinaryFormat: true,
      interceptors: [userAgentInterceptor],
      acceptCompression: [compressionGzip],
      sendCompression: null,
      compressMinBytes: 1024,
      readMaxBytes: 0xffffffff,
      writeMaxBytes: 0xffffffff,
    });
    try {
      const init = new Headers();
      for (const [n, v] of pairs(headers.toFlat())) init.append(n, v);
      await createClient(PusherService, transport).push(message, { headers: init, timeoutMs, signal });
      return OK;
    } catch (err) {
      return pushFailure(ConnectError.from(err), seen);
    }
  }

  async #universal(req: UniversalClientRequest, seen: PushSeen): Promise<UniversalClientResponse> {
    const chunks: Uint8Array[] = [];
    if (req.body !== undefined) for await (const c of req.body) chunks.push(c);
    let res: Awaited<ReturnType<HttpClient["request"]>>;
    try {
      res = await this.#client.request({
        method: req.method,
        url: req.url,
        headers: HeaderList.fromHeaders(req.header),
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        signal: req.signal,
      });
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason;
      throw new ConnectError(errorText(err), Code.Unavailable, undefined, undefined, err);
    }
    seen.status = res.status;
    const retryAfter = firstValue(res.headers["retry-after"]);
    if (retryAfter !== undefined) seen.retryAfter = retryAfter;
    const header = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) header.append(name, v);
    }
    const contentType = firstValue(res.headers["content-type"]) ?? "";
    if (res.status !== 200 && !contentType.startsWith("application/json")) {
      // Not a Connect error: the client derives the code from the status and never reads the body, so keep
      // its start as the downstream's message and drain it, which also frees the connection.
      seen.body = await readLimited(res.body, ERROR_BODY_LIMIT);
      return { status: res.status, header, body: emptyBody(), trailer: new Headers() };
    }
    return { status: res.status, header, body: res.body, trailer: new Headers() };
  }

  /** The ingest URL for a call: the endpoint path joined with the incoming path, the query replaced. */
  ingestUrl(path: string, query: string): string {
    // Hot path: the URL without its query is the same for every call on a path, and a query made only of
    // characters URL serialization keeps as they are (every canonical query) can be appended as is.
    let prefix = this.#ingestPrefixes.get(path);
    if (prefix === undefined) {
      const u = new URL(this.#base.href);
      u.pathname = cleanPath(posix.join(u.pathname, path));
      u.search = "";
      u.hash = "";
      prefix = u.toString();
      if (this.#ingestPrefixes.size < 16) this.#ingestPrefixes.set(path, prefix);
    }
    if (query === "") return prefix;
    if (PLAIN_QUERY.test(query)) return `${prefix}?${query}`;
    const u = new URL(prefix);
    u.search = `?${query}`;
    return u.toString();
  }

  /** One ingest attempt. */
  async ingestAttempt(call: IngestCall, signal: AbortSignal): Promise<AttemptResult> {
    const url = this.ingestUrl(call.path, call.query);
    const shown = `${goMethod("POST")} "${redactUrl(url)}"`;
    const timeoutMs = this.args.remote_timeout;
    if (timeoutMs <= 0) {
      return {
        ok: false,
        failure: { kind: "deadline" },
        error: `do request: ${shown}: context deadline exceeded`,
      };
    }
    const headers = new HeaderList();
    this.#forwarded(call.forwardedHeaders, headers);
    for (const name of this.#headers.names()) headers.set(name, this.#headers.get(name) ?? "");
    call.contentType.forEach((ct, i) => {
      if (i === 0) headers.set("Content-Type", ct);
      else headers.add("Content-Type", ct);
    });
    if (!headers.has("user-agent")) headers.set("User-Agent", USER_AGENT);

    const deadline = startDeadline(signal, timeoutMs);
    const timeout = deadline.timeout;
    let res: Awaited<ReturnType<HttpClient["request"]>>;
    try {
      res = await this.#client.request({
        method: "POST",
        url,
        headers,
        body: call.body,
        signal: deadline.signal,
      });
    } catch (err) {
      deadline.dispose();
      return transportFailure(err, `do request: ${shown}`, signal, timeout);
    }
    try {
      if (res.status !== 200) {
        const message = await readLimited(res.body, ERROR_BODY_LIMIT);
        return {
          ok: false,
          failure: { kind: "status", status: res.status },
          error: `remote error: pyroscope write error: status=${res.status} msg=${message}`,
          httpStatus: res.status,
          downstreamMessage: message,
          retryAfter:
            res.status === 429 || res.status === 503 ? firstValue(res.headers["retry-after"]) : undefined,
        };
      }
      await drain(res.body);
      return OK;
    } catch (err) {
      return transportFailure(err, "reading response body", signal, timeout);
    } finally {
      deadline.dispose();
    }
  }
}

/** What the HTTP layer saw of a push attempt's response. */
interface PushSeen {
  status?: number;
  retryAfter?: string;
  /** The start of a non-Connect error body. */
  body?: string;
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** Go's connect client trims every trailing slash of the base URL. */
function pushBaseUrl(base: URL): string {
  return base.href.replace(/\/+$/, "");
}

/** Sets `User-Agent` on every push, overriding configured headers (Alloy's agent interceptor). */
const userAgentInterceptor: Interceptor = (next) => async (req) => {
  req.header.set("User-Agent", USER_AGENT);
  return next(req);
};

function pushFailure(err: ConnectError, seen: PushSeen): AttemptFailure {
  const code = CODE_NAMES[err.code] ?? "unknown";
  if (err.code === Code.Canceled) {
    return { ok: false, failure: { kind: "canceled" }, error: "canceled: context canceled" };
  }
  if (err.code === Code.DeadlineExceeded && seen.status === undefined) {
    return {
      ok: false,
      failure: { kind: "deadline" },
      error: "deadline_exceeded: context deadline exceeded",
    };
  }
  let message = err.rawMessage;
  if (seen.status !== undefined && message === `HTTP ${seen.status}`) {
    message = `HTTP status ${seen.status} ${STATUS_CODES[seen.status] ?? ""}`.trimEnd();
  }
  const status = seen.status;
  return {
    ok: false,
    failure: { kind: "connect", code },
    error: message === "" ? code : `${code}: ${message}`,
    httpStatus: status,
    downstreamMessage:
      status === undefined ? undefined : seen.body !== undefined && seen.body !== "" ? seen.body : message,
    retryAfter: status === 429 || status === 503 ? seen.retryAfter : undefined,
  };
}

function transportFailure(
  err: unknown,
  prefix: string,
  parent: AbortSignal,
  timeout: AbortSignal,
): AttemptFailure {
  if (timeout.aborted && !parent.aborted) {
    return { ok: false, failure: { kind: "deadline" }, error: `${prefix}: context deadline exceeded` };
  }
  if (parent.aborted) {
    return { ok: false, failure: { kind: "canceled" }, error: `${prefix}: context canceled` };
  }
  return { ok: false, failure: { kind: "other" }, error: `${prefix}: ${errorText(err)}` };
}

/** Reads at most `limit` bytes as text and discards the rest, so the connection can be reused. */
async function readLimited(body: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const kept: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) {
      const part = chunk.subarray(0, limit - size);
      kept.push(part);
      size += part.byteLength;
    }
  }
  return Buffer.concat(kept).toString("utf8");
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) {
    // discard
  }
}

/** Go's `path.Clean` on an already joined absolute path: no trailing slash except for the root. */
function cleanPath(p: string): string {
  const normalized = posix.normalize(p.startsWith("/") ? p : `/${p}`);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!];
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && err.message === "fetch failed" ? cause.message : err.message;
  }
  return String(err);
}
