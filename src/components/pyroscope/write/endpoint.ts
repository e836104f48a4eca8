/**
 * One configured endpoint of `pyroscope.write`: the one sender of everything that goes to it. Built once when
 * the endpoint is (URL, HTTP client with auth, TLS and proxy, headers), and used by the direct fan-out, the
 * queue's delivery loops and `profile-relay replay` alike. Each call is one attempt and returns an `Outcome`;
 * a failure carries its Connect code (for the retry policy and the client's answer), the downstream's status,
 * `Retry-After` and message, and the error text as Alloy words it.
 *
 * - Push: a Connect unary call (binary protobuf) to `<url>/push.v1.PusherService/Push`, made as
 *   `@connectrpc/connect`'s Connect transport makes it (its request headers, response validation and error
 *   decoding), with the body encoded once by the caller and sent as it is on every attempt.
 * - Ingest: `POST <url path>/ingest?<query>` with the body exactly as received; success is HTTP 200.
 */
import { STATUS_CODES } from "node:http";
import { posix } from "node:path";
import { gunzipSync } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  codeToString,
  errorFromJsonBytes,
  requestHeaderWithCompression,
  validateResponseWithCompression,
} from "@connectrpc/connect/protocol-connect";
import { compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import {
  goMethod,
  HttpClient,
  type HttpClientOptions,
  HttpDeadlineError,
  type HttpResponse,
  ResponseBodyError,
} from "../../../http/client.ts";
import { HeaderList, HOP_BY_HOP_HEADERS, isValidHeaderName } from "../../../http/headers.ts";
import { redactUrl } from "../../../http/redact-url.ts";
import { USER_AGENT } from "../../../http/user-agent.ts";
import { BoundedCache } from "../../../pyroscope/bounded-cache.ts";
import {
  codeForHttpStatus,
  type Failure,
  type ForwardedHeaders,
  OK,
  type Outcome,
} from "../../../pyroscope/receiver.ts";
import type { EndpointArguments } from "./arguments.ts";
import { type BackoffConfig, retryAfterMs } from "./retry.ts";

/** A push as every endpoint sends it: the encoded `PushRequest` and the pass-through headers. */
export interface PushCall {
  readonly body: Uint8Array;
  readonly headers: ForwardedHeaders;
  /** The tenant from the profile's `__tenant_id__` label: `X-Scope-OrgID`, over every other header. */
  readonly tenant?: string | undefined;
}

/** An ingest as every endpoint sends it. */
export interface IngestCall {
  readonly body: Uint8Array;
  readonly contentType: readonly string[];
  /** The incoming path, joined to the endpoint URL's path. */
  readonly path: string;
  /**
   * The query to send (with `name` rebuilt), in Go's canonical encoding (`IngestQuery.toCanonicalString`), which
   * URL serialization keeps as it is.
   */
  readonly query: string;
  readonly headers: ForwardedHeaders;
  /** As on `PushCall`. */
  readonly tenant?: string | undefined;
}

/** Alloy keeps this much of a failed ingest response body as the error message. */
export const ERROR_BODY_LIMIT = 2048;

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
  /** The retry loop's backoff, from `min_backoff_period`, `max_backoff_period`, `max_backoff_retries`. */
  readonly backoff: BackoffConfig;
  readonly #client: HttpClient;
  readonly #base: URL;
  readonly #headers: HeaderList;
  /** Lower-case header names the endpoint configures itself (they win over forwarded ones). */
  readonly #ownHeaderNames: ReadonlySet<string>;
  readonly #hasAuth: boolean;
  /** `ingestUrl` without the query, by incoming path. */
  readonly #ingestPrefixes = new Map<string, string>();
  readonly #pushUrl: string;
  /** Ingest request headers without forwarded headers or tenant, by content type (see `#ingestHeaders`). */
  readonly #plainIngestHeaders = new BoundedCache<string, HeaderList>(16);
  /** The push request headers when nothing is forwarded (the usual case), built once. */
  readonly #pushHeaders: HeaderList;

  private constructor(args: EndpointArguments, base: URL, client: HttpClient, headers: HeaderList) {
    this.args = args;
    this.#base = base;
    this.#client = client;
    this.#headers = headers;
    this.displayUrl = redactUrl(args.url);
    this.metricLabel = args.name !== "" ? args.name : this.displayUrl;
    this.backoff = {
      minBackoffMs: args.min_backoff_period,
      maxBackoffMs: args.max_backoff_period,
      maxRetries: args.max_backoff_retries,
    };
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
    // Go's connect client trims every trailing slash of the base URL
    this.#pushUrl = `${base.href.replace(/\/+$/, "")}${PUSH_PATH}`;
    this.#pushHeaders = this.#buildPushHeaders({});
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
   * The forwarded headers this endpoint sends, then its own `headers` over them: no hop-by-hop or protocol
   * header, no header the endpoint configures itself, and no `Authorization` when the endpoint has its own
   * credentials.
   */
  #withOwnHeaders(forwarded: ForwardedHeaders, target: HeaderList): HeaderList {
    for (const name in forwarded) {
      if (NOT_FORWARDABLE.has(name) || name.startsWith("connect-") || this.#ownHeaderNames.has(name))
        continue;
      if (name === "authorization" && this.#hasAuth) continue;
      target.add(name, forwarded[name]!);
    }
    for (const name of this.#headers.names()) target.set(name, this.#headers.get(name) ?? "");
    return target;
  }

  /**
   * The headers of a push, as connect's Connect transport writes them (`requestHeaderWithCompression`:
   * `Connect-Timeout-Ms`, `Content-Type: application/proto`, `Connect-Protocol-Version`, `Accept-Encoding`),
   * with Alloy's `User-Agent` over any configured one.
   */
  #buildPushHeaders(forwarded: ForwardedHeaders): HeaderList {
    const init = new Headers();
    for (const [n, v] of pairs(this.#withOwnHeaders(forwarded, new HeaderList()).toFlat())) init.append(n, v);
    const header = requestHeaderWithCompression(
      "unary",
      true,
      this.args.remote_timeout,
      init,
      [compressionGzip],
      null,
      true,
    );
    header.set("User-Agent", USER_AGENT);
    return HeaderList.fromHeaders(header);
  }

  /** One push attempt. */
  async push(call: PushCall, signal: AbortSignal): Promise<Outcome> {
    const timeoutMs = this.args.remote_timeout;
    if (timeoutMs <= 0) return deadlineExceeded("deadline_exceeded: context deadline exceeded");
    const headers = withTenant(
      isEmpty(call.headers) ? this.#pushHeaders : this.#buildPushHeaders(call.headers),
      call.tenant,
    );
    let res: HttpResponse;
    try {
      res = await this.#client.request({
        method: "POST",
        url: this.#pushUrl,
        headers,
        body: call.body,
        signal,
        timeoutMs,
        keepBytes: PUSH_ERROR_LIMIT,
      });
    } catch (err) {
      if (isDeadline(err) && !signal.aborted) {
        return deadlineExceeded("deadline_exceeded: context deadline exceeded");
      }
      if (signal.aborted) return canceled("canceled: context canceled");
      if (err instanceof ResponseBodyError) return connectFailure(ConnectError.from(err.cause), err.status);
      return connectFailure(new ConnectError(errorText(err), Code.Unavailable));
    }
    try {
      return this.#pushAnswer(res);
    } catch (err) {
      return connectFailure(ConnectError.from(err), res.status);
    }
  }

  /** Reads a push response as connect's client does: 200 with a protobuf body, or a Connect error. */
  #pushAnswer(res: HttpResponse): Outcome {
    const header = toHeaders(res.headers);
    let validated: ReturnType<typeof validateResponseWithCompression>;
    try {
      validated = validateResponseWithCompression("unary", [compressionGzip], true, res.status, header);
    } catch (err) {
      // Not a Connect error: the code comes from the status, and the start of the body is the downstream's
      // message.
      return connectFailure(
        ConnectError.from(err),
        res.status,
        text(res.body.subarray(0, ERROR_BODY_LIMIT)),
        this.#retryAfter(res.status, header.get("retry-after")),
      );
    }
    if (!validated.isUnaryError) return OK;
    let bytes = res.body;
    if (validated.compression !== undefined) bytes = gunzipSync(bytes, { maxOutputLength: PUSH_ERROR_LIMIT });
    const error = errorFromJsonBytes(bytes, header, validated.unaryError);
    return connectFailure(
      error,
      res.status,
      undefined,
      this.#retryAfter(res.status, header.get("retry-after")),
    );
  }

  /** The ingest URL for a call, without its query: the endpoint path joined with the incoming path. */
  #ingestPrefix(path: string): string {
    // Hot path: the same for every call on a path.
    let prefix = this.#ingestPrefixes.get(path);
    if (prefix === undefined) {
      const u = new URL(this.#base.href);
      u.pathname = cleanPath(posix.join(u.pathname, path));
      u.search = "";
      u.hash = "";
      prefix = u.toString();
      if (this.#ingestPrefixes.size < 16) this.#ingestPrefixes.set(path, prefix);
    }
    return prefix;
  }

  /** One ingest attempt. */
  async ingest(call: IngestCall, signal: AbortSignal): Promise<Outcome> {
    const prefix = this.#ingestPrefix(call.path);
    // Go's `*url.Error` text; built only when an attempt fails
    const doRequest = (): string => {
      const url = call.query === "" ? prefix : `${prefix}?${call.query}`;
      return `do request: ${goMethod("POST")} "${redactUrl(url)}"`;
    };
    const timeoutMs = this.args.remote_timeout;
    if (timeoutMs <= 0) return deadlineExceeded(`${doRequest()}: context deadline exceeded`);
    let res: HttpResponse;
    try {
      res = await this.#client.request({
        method: "POST",
        url: prefix,
        // the query is Go's `url.Values.Encode` output (see `prepareIngestQuery`): sent as it is
        query: call.query,
        headers: this.#ingestHeaders(call),
        body: call.body,
        signal,
        timeoutMs,
        keepBytes: ERROR_BODY_LIMIT,
      });
    } catch (err) {
      const during = err instanceof ResponseBodyError ? "reading response body" : doRequest();
      return transportFailure(err, during, signal);
    }
    if (res.status === 200) return OK;
    const detail = text(res.body);
    const status = res.status;
    return {
      ok: false,
      code: codeForHttpStatus(status),
      httpStatus: status,
      message: `remote error: pyroscope write error: status=${status} msg=${detail}`,
      detail,
      retryAfterMs: this.#retryAfter(status, firstValue(res.headers["retry-after"])),
    };
  }

  /**
   * The headers of an ingest: forwarded ones, the endpoint's own, every `Content-Type` of the upload, Alloy's
   * `User-Agent` unless configured, the tenant. Without forwarded headers or tenant (the usual case) the list
   * depends only on the content type, and is built once per content type.
   */
  #ingestHeaders(call: IngestCall): HeaderList {
    const plain = call.tenant === undefined && isEmpty(call.headers);
    const key = plain ? call.contentType.join("\n") : undefined;
    if (key !== undefined) {
      const known = this.#plainIngestHeaders.get(key);
      if (known !== undefined) return known;
    }
    const headers = this.#withOwnHeaders(call.headers, new HeaderList());
    call.contentType.forEach((ct, i) => {
      if (i === 0) headers.set("Content-Type", ct);
      else headers.add("Content-Type", ct);
    });
    if (!headers.has("user-agent")) headers.set("User-Agent", USER_AGENT);
    if (call.tenant !== undefined) headers.set(TENANT_HEADER, call.tenant);
    if (key !== undefined) this.#plainIngestHeaders.set(key, headers);
    return headers;
  }

  /** A `Retry-After` of a 429 or 503 answer, capped at `max_backoff_period`. */
  #retryAfter(status: number, value: string | null | undefined): number | undefined {
    if (status !== 429 && status !== 503) return undefined;
    return retryAfterMs(value ?? undefined, this.args.max_backoff_period);
  }
}

/** The one RPC the push path calls. */
const PUSH_PATH = "/push.v1.PusherService/Push";

function deadlineExceeded(message: string): Failure {
  return { ok: false, code: Code.DeadlineExceeded, message };
}

function canceled(message: string): Failure {
  return { ok: false, code: Code.Canceled, message };
}

/**
 * A push failure in Alloy's words (`<code>: <message>`; connect-go says `HTTP status 503 Service
 * Unavailable` where connect-es says `HTTP 503`), with what the downstream said.
 */
function connectFailure(err: ConnectError, status?: number, body?: string, retryAfterMs?: number): Failure {
  const name = codeToString(err.code);
  let message = err.rawMessage;
  if (status !== undefined && message === `HTTP ${status}`) {
    message = `HTTP status ${status} ${STATUS_CODES[status] ?? ""}`.trimEnd();
  }
  return {
    ok: false,
    code: err.code,
    httpStatus: status,
    message: message === "" ? name : `${name}: ${message}`,
    detail: status === undefined ? undefined : body !== undefined && body !== "" ? body : message,
    retryAfterMs,
  };
}

function transportFailure(err: unknown, prefix: string, parent: AbortSignal): Failure {
  if (isDeadline(err) && !parent.aborted) return deadlineExceeded(`${prefix}: context deadline exceeded`);
  if (parent.aborted) return canceled(`${prefix}: context canceled`);
  // Alloy: any other error is `connect.CodeOf(err)`, which is `unknown` (and retried)
  return { ok: false, code: Code.Unknown, message: `${prefix}: ${errorText(err)}` };
}

/** Whether the attempt's deadline (`remote_timeout`) ended it, before or while reading the response. */
function isDeadline(err: unknown): boolean {
  return (
    err instanceof HttpDeadlineError ||
    (err instanceof ResponseBodyError && err.cause instanceof HttpDeadlineError)
  );
}

/** How much of a push error body is read (a Connect error is JSON, possibly gzipped). */
const PUSH_ERROR_LIMIT = ERROR_BODY_LIMIT * 32;

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Go's `path.Clean` on an already joined absolute path: no trailing slash except for the root. */
function cleanPath(p: string): string {
  const normalized = posix.normalize(p.startsWith("/") ? p : `/${p}`);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function toHeaders(raw: HttpResponse["headers"]): Headers {
  const header = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) header.append(name, v);
  }
  return header;
}

/** The header multi-tenant Pyroscope reads the tenant from. */
const TENANT_HEADER = "X-Scope-OrgID";

/** `headers` with the profile's tenant over any other `X-Scope-OrgID` (a copy: `headers` may be shared). */
function withTenant(headers: HeaderList, tenant: string | undefined): HeaderList {
  if (tenant === undefined) return headers;
  const copy = headers.clone();
  copy.set(TENANT_HEADER, tenant);
  return copy;
}

function isEmpty(headers: ForwardedHeaders): boolean {
  for (const _ in headers) return false;
  return true;
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
