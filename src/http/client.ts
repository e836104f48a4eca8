/**
 * The outbound HTTP client of an endpoint-style block (Alloy's `promhttp2` copy of prometheus/common's client
 * factory): TLS, proxies, auth, `http_headers`, redirects and HTTP/2, on undici connection pools.
 *
 * Per request, as Go's round-trip layers do: `http_headers` are appended, then the auth layer sets
 * `Authorization`; redirects are followed by Go's rules (at most 10; 307/308 resend the body, 301/302/303 turn
 * a POST into a GET; credentials are not sent to another host) unless `follow_redirects` is false. Bodies are
 * never compressed or decompressed here.
 */
import type { Dispatcher } from "undici";
import { BoundedCache } from "../pyroscope/bounded-cache.ts";
import { type AuthLayer, createAuthLayer } from "./auth.ts";
import { Connections } from "./connections.ts";
import type { HeaderList } from "./headers.ts";
import { type ProxyEnvironment, proxySelector } from "./proxy.ts";
import { redactUrl } from "./redact-url.ts";
import type { HttpClientConfig, ProxyConfig, TlsConfig } from "./schema.ts";
import { loadTlsOptions } from "./tls.ts";

/** One outbound request. `headers` are the caller's (endpoint `headers`, protocol headers). */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  /**
   * A query to send after `url` (which then has none), already in the form URL serialization leaves as it is
   * (percent-encoded, as Go's `url.Values.Encode` writes it): sent without being checked or parsed again.
   */
  readonly query?: string | undefined;
  /** Read only: the client copies them when it adds its own. */
  readonly headers: HeaderList;
  readonly body?: Uint8Array | undefined;
  /** Aborts the exchange; the request then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** The time the whole exchange (redirects included) may take; then it rejects with `HttpDeadlineError`. */
  readonly timeoutMs?: number | undefined;
  /**
   * How many bytes of the response body to keep (default none); the rest is read and discarded so the connection
   * can be reused, up to `DISCARD_LIMIT`, beyond which the connection is closed instead.
   */
  readonly keepBytes?: number | undefined;
}

/** The response, read: its status, headers and the first `keepBytes` of its body. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
  /** The URL that answered (after redirects). */
  readonly url: string;
}

/** The exchange took longer than `timeoutMs` (Go: `context deadline exceeded`). */
export class HttpDeadlineError extends Error {
  constructor() {
    super("context deadline exceeded");
    this.name = "HttpDeadlineError";
  }
}

/** The response's status and headers arrived, its body did not (the connection failed while reading it). */
export class ResponseBodyError extends Error {
  /** The status the response had. */
  readonly status: number;
  constructor(status: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ResponseBodyError";
    this.status = status;
  }
}

/** Build-time options. */
export interface HttpClientOptions {
  /** The environment for `proxy_from_environment`; defaults to `process.env`. */
  readonly env?: ProxyEnvironment | undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const SENSITIVE_ON_REDIRECT = ["authorization", "www-authenticate", "cookie", "cookie2"];
/** A response body beyond this is not read to its end: the connection is closed instead. */
export const DISCARD_LIMIT = 1024 * 1024;

/** What a request URL without its query resolves to, worked out once per distinct URL. */
interface Target {
  /** The URL as given (user info included), without the query when it could go verbatim. */
  readonly url: URL;
  /** The query sent verbatim after `url` ("" when `url` has its own). */
  readonly search: string;
  readonly origin: string;
  /** Path and query of the request line. */
  readonly pathname: string;
  readonly hasUserinfo: boolean;
  readonly dispatcher: Dispatcher;
}

/**
 * A query that WHATWG URL parsing leaves as it is: no character of its special-query percent-encode set
 * (controls, space, `"`, `#`, `'`, `<`, `>`, non-ASCII).
 */
const VERBATIM_QUERY = /^(?:\?[\x21\x24-\x26\x28-\x3b\x3d\x3f-\x7e]*)?$/;

/** An HTTP client for one endpoint. Build with `HttpClient.create`; `close()` when it is no longer used. */
export class HttpClient {
  readonly #connections: Connections;
  readonly #oauthConnections: Connections | undefined;
  readonly #auth: AuthLayer | undefined;
  readonly #httpHeaders: readonly (readonly [string, string])[];
  readonly #followRedirects: boolean;
  /** Request URLs without their query, resolved (an endpoint sends to a handful). */
  readonly #targets = new BoundedCache<string, Target>(64);

  private constructor(
    connections: Connections,
    oauthConnections: Connections | undefined,
    auth: AuthLayer | undefined,
    cfg: HttpClientConfig,
  ) {
    this.#connections = connections;
    this.#oauthConnections = oauthConnections;
    this.#auth = auth;
    this.#followRedirects = cfg.follow_redirects;
    this.#httpHeaders = Object.entries(cfg.http_headers ?? {}).flatMap(([name, values]) =>
      values.map((v) => [name, v.reveal()] as const),
    );
  }

  /**
   * Builds the client: reads TLS files, checks the proxy URL. Throws on a configuration that cannot work
   * (Alloy fails the component's build or update then).
   */
  static async create(cfg: HttpClientConfig, options: HttpClientOptions = {}): Promise<HttpClient> {
    const connections = await buildConnections(cfg.tls_config, cfg, cfg.enable_http2, options.env);
    let oauthConnections: Connections | undefined;
    try {
      if (cfg.oauth2 !== undefined) {
        oauthConnections = await buildConnections(cfg.oauth2.tls_config, cfg.oauth2, true, options.env);
      }
    } catch (err) {
      await connections.close();
      throw err;
    }
    const auth = createAuthLayer(cfg, () => oauthConnections as Connections);
    return new HttpClient(connections, oauthConnections, auth, cfg);
  }

  /**
   * Sends a request and reads its response, following redirects when configured. Rejects on transport
   * errors (`ResponseBodyError` once the response has started), aborts and the deadline.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const exchange = new Exchange(req.signal, req.timeoutMs);
    try {
      const target = req.query === undefined ? this.#target(req.url) : this.#withQuery(req.url, req.query);
      const res = await this.#send(
        req.method,
        target,
        req.headers,
        req.body,
        true,
        exchange,
        req.keepBytes ?? 0,
      );
      if (!this.#followRedirects || !REDIRECT_STATUSES.has(res.status)) return res;
      return await this.#follow(req, exchange, target, res);
    } finally {
      exchange.dispose();
    }
  }

  /** Follows the redirect `redirect` (the answer to the request to `start`), and the next ones. */
  async #follow(
    req: HttpRequest,
    exchange: Exchange,
    start: Target,
    redirect: HttpResponse,
  ): Promise<HttpResponse> {
    let target = start;
    let res = redirect;
    const origin = start.url;
    let method = req.method;
    let body = req.body;
    // copied only when a redirect changes it (each send copies what it adds to)
    let headers = req.headers;
    for (let redirects = 0; ; redirects++) {
      if (redirects > 0) {
        const sameHost = isDomainOrSubdomain(target.url.hostname, origin.hostname);
        res = await this.#send(method, target, headers, body, sameHost, exchange, req.keepBytes ?? 0);
        if (!REDIRECT_STATUSES.has(res.status)) return res;
      }
      const location = first(res.headers["location"]);
      if (location === undefined || location === "") return res;
      if (redirects + 1 >= MAX_REDIRECTS) {
        throw new Error(
          `${goMethod(req.method)} "${redactUrl(req.url)}": stopped after ${MAX_REDIRECTS} redirects`,
        );
      }
      const next = new URL(location, `${target.url.href}${target.search}`);
      if (headers === req.headers) headers = headers.clone();
      if (res.status <= 303 && method !== "GET" && method !== "HEAD") {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
        headers.delete("content-length");
        headers.delete("content-encoding");
      }
      if (!isDomainOrSubdomain(next.hostname, origin.hostname)) {
        for (const h of SENSITIVE_ON_REDIRECT) headers.delete(h);
      }
      target = this.#resolve(next);
    }
  }

  /** The target of a URL string: parsed once per distinct URL without its query (the query goes as it is). */
  #target(url: string): Target {
    const q = url.indexOf("?");
    const base = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? "" : url.slice(q);
    if (url.includes("#") || !VERBATIM_QUERY.test(search)) return this.#resolve(new URL(url));
    return withSearch(this.#cachedTarget(base), search);
  }

  /** The target of a URL without a query, with a serialized `query` appended as it is. */
  #withQuery(url: string, query: string): Target {
    return withSearch(this.#cachedTarget(url), query === "" ? "" : `?${query}`);
  }

  /** The target of a URL without a query, resolved once. */
  #cachedTarget(base: string): Target {
    let target = this.#targets.get(base);
    if (target === undefined) {
      target = this.#resolve(new URL(base));
      this.#targets.set(base, target);
    }
    return target;
  }

  #resolve(url: URL): Target {
    const hasUserinfo = url.username !== "" || url.password !== "";
    let bare = url;
    if (hasUserinfo) {
      bare = new URL(url.href);
      bare.username = "";
      bare.password = "";
    }
    return {
      url,
      search: "",
      origin: bare.origin,
      pathname: `${bare.pathname}${bare.search}`,
      hasUserinfo,
      dispatcher: this.#connections.dispatcherFor(bare).dispatcher,
    };
  }

  /** One request of an exchange, with the client's own headers and credentials. */
  #send(
    method: string,
    target: Target,
    callerHeaders: HeaderList,
    body: Uint8Array | undefined,
    sendCredentials: boolean,
    exchange: Exchange,
    keepBytes: number,
  ): Promise<HttpResponse> {
    const credentials = this.#auth !== undefined && sendCredentials;
    if (!target.hasUserinfo && this.#httpHeaders.length === 0 && !credentials) {
      return exchange.send(target, method, callerHeaders, body, keepBytes);
    }
    return this.#sendWithOwnHeaders(method, target, callerHeaders, body, credentials, exchange, keepBytes);
  }

  async #sendWithOwnHeaders(
    method: string,
    target: Target,
    callerHeaders: HeaderList,
    body: Uint8Array | undefined,
    credentials: boolean,
    exchange: Exchange,
    keepBytes: number,
  ): Promise<HttpResponse> {
    const headers = callerHeaders.clone();
    const url = target.url;
    // Go's client turns URL user info into Basic auth (unless the request has an Authorization already).
    if (target.hasUserinfo && !headers.hasValue("authorization")) {
      const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.set("Authorization", `Basic ${Buffer.from(userinfo).toString("base64")}`);
    }
    for (const [name, value] of this.#httpHeaders) headers.add(name, value);
    if (credentials) await this.#auth!.apply(headers, exchange.signal);
    return exchange.send(target, method, headers, body, keepBytes);
  }

  /** Closes the connection pools once in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#connections.close(), this.#oauthConnections?.close()]);
  }
}

/**
 * One exchange's abort and deadline: a single timer, one listener on the caller's signal and one
 * `AbortController` for undici, however many requests (redirects) it makes.
 */
class Exchange {
  readonly signal: AbortSignal | undefined;
  readonly #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = (): void => this.#controller.abort(abortReason(this.signal));

  constructor(signal: AbortSignal | undefined, timeoutMs: number | undefined) {
    this.signal = signal;
    if (signal?.aborted) {
      this.#controller.abort(abortReason(signal));
      return;
    }
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.#controller.abort(new HttpDeadlineError()), timeoutMs);
      this.#timer.unref?.();
    }
  }

  /** Sends one request and reads its response: the first `keepBytes` of the body, the rest discarded. */
  async send(
    target: Target,
    method: string,
    headers: HeaderList,
    body: Uint8Array | undefined,
    keepBytes: number,
  ): Promise<HttpResponse> {
    const abort = this.#controller.signal;
    if (abort.aborted) throw abort.reason;
    let res: Dispatcher.ResponseData;
    try {
      res = await target.dispatcher.request({
        origin: target.origin,
        path: target.pathname,
        method: method as Dispatcher.HttpMethod,
        // undici only reads the list (it builds its own)
        headers: headers.toFlat() as string[],
        body:
          body === undefined || Buffer.isBuffer(body)
            ? body
            : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        signal: abort,
      });
    } catch (err) {
      throw abort.aborted ? abort.reason : err;
    }
    const url = `${target.origin}${target.pathname}`;
    try {
      if (keepBytes === 0 || (res.statusCode === 200 && res.headers["content-length"] === "0")) {
        await res.body.dump({ limit: DISCARD_LIMIT });
        return { status: res.statusCode, headers: res.headers, body: EMPTY, url };
      }
      const kept = await readKept(res.body, keepBytes);
      return { status: res.statusCode, headers: res.headers, body: kept, url };
    } catch (err) {
      throw new ResponseBodyError(res.statusCode, abort.aborted ? abort.reason : err);
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.signal?.removeEventListener("abort", this.#onAbort);
  }
}

/** `target` (without a query) with `search` (`?…`, or empty) sent verbatim after its path. */
function withSearch(target: Target, search: string): Target {
  return search === "" ? target : { ...target, search, pathname: `${target.pathname}${search}` };
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error("This operation was aborted");
}

/**
 * The first `keep` bytes of a body; the rest is read and discarded so the connection can be reused, up to
 * `DISCARD_LIMIT`, beyond which the connection is closed instead.
 */
async function readKept(body: Dispatcher.ResponseData["body"], keep: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.byteLength;
    if (kept < keep) {
      const part = chunk.subarray(0, keep - kept);
      chunks.push(part);
      kept += part.byteLength;
    }
    if (seen > DISCARD_LIMIT) {
      body.destroy();
      break;
    }
  }
  return chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, kept);
}

const EMPTY = new Uint8Array(0);

async function buildConnections(
  tlsConfig: TlsConfig | undefined,
  proxy: ProxyConfig,
  allowH2: boolean,
  env: ProxyEnvironment | undefined,
): Promise<Connections> {
  const tls = await loadTlsOptions(tlsConfig);
  const proxyFor = proxySelector(proxy, env);
  const proxyHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(proxy.proxy_connect_header ?? {})) {
    proxyHeaders[name.toLowerCase()] = values.map((v) => v.reveal());
  }
  return new Connections({ tls, proxyFor, proxyHeaders, allowH2 });
}

/** Go's `isDomainOrSubdomain`: whether credentials may follow a redirect from `parent` to `sub`. */
function isDomainOrSubdomain(sub: string, parent: string): boolean {
  if (sub === parent) return true;
  if (sub.includes(":") || sub.startsWith("[")) return false;
  return sub.endsWith(`.${parent}`);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Go prints the method in title case in URL errors: `Post "http://..."`. */
export function goMethod(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
}
