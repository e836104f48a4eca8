/**
 * The outbound HTTP client of an endpoint-style block (Alloy's `promhttp2` copy of prometheus/common's client
 * factory): TLS, proxies, auth, `http_headers`, redirects and HTTP/2, on undici connection pools.
 *
 * Per request, as Go's round-trip layers do: `http_headers` are appended, then the auth layer sets
 * `Authorization`; redirects are followed by Go's rules (at most 10; 307/308 resend the body, 301/302/303 turn
 * a POST into a GET; credentials are not sent to another host) unless `follow_redirects` is false. Bodies are
 * never compressed or decompressed here.
 */
import { type Dispatcher, request } from "undici";
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
  readonly headers: HeaderList;
  readonly body?: Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The response; the caller must consume or dump `body`. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData["body"];
  /** The URL that answered (after redirects). */
  readonly url: string;
}

/** Build-time options. */
export interface HttpClientOptions {
  /** The environment for `proxy_from_environment`; defaults to `process.env`. */
  readonly env?: ProxyEnvironment | undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const SENSITIVE_ON_REDIRECT = ["authorization", "www-authenticate", "cookie", "cookie2"];

/** An HTTP client for one endpoint. Build with `HttpClient.create`; `close()` when it is no longer used. */
export class HttpClient {
  readonly #connections: Connections;
  readonly #oauthConnections: Connections | undefined;
  readonly #auth: AuthLayer | undefined;
  readonly #httpHeaders: readonly (readonly [string, string])[];
  readonly #followRedirects: boolean;

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

  /** Sends a request, following redirects when configured. Rejects on transport errors and aborts. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const origin = new URL(req.url);
    let url = origin;
    let method = req.method;
    let body = req.body;
    // copied only when a redirect changes it (each send copies what it adds to)
    let headers = req.headers;
    for (let redirects = 0; ; redirects++) {
      const sameHost = isDomainOrSubdomain(url.hostname, origin.hostname);
      const res = await this.#send(method, url, headers, body, sameHost, req.signal);
      if (!this.#followRedirects || !REDIRECT_STATUSES.has(res.status)) return res;
      const location = first(res.headers["location"]);
      if (location === undefined || location === "") return res;
      await res.body.dump().catch(() => {});
      if (redirects + 1 >= MAX_REDIRECTS) {
        throw new Error(
          `${goMethod(req.method)} "${redactUrl(req.url)}": stopped after ${MAX_REDIRECTS} redirects`,
        );
      }
      const next = new URL(location, url);
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
      url = next;
    }
  }

  async #send(
    method: string,
    url: URL,
    callerHeaders: HeaderList,
    body: Uint8Array | undefined,
    sendCredentials: boolean,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const headers = callerHeaders.clone();
    let target = url;
    if (url.username !== "" || url.password !== "") {
      // Go's client turns URL user info into Basic auth (unless the request has an Authorization already).
      if (!headers.hasValue("authorization")) {
        const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
        headers.set("Authorization", `Basic ${Buffer.from(userinfo).toString("base64")}`);
      }
      target = new URL(url.href);
      target.username = "";
      target.password = "";
    }
    for (const [name, value] of this.#httpHeaders) headers.add(name, value);
    if (this.#auth !== undefined && sendCredentials) await this.#auth.apply(headers, signal);
    const { dispatcher } = this.#connections.dispatcherFor(target);
    const res = await request(target, {
      method: method as Dispatcher.HttpMethod,
      headers: headers.toFlat(),
      body: body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      dispatcher,
      signal,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, url: target.toString() };
  }

  /** Closes the connection pools once in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#connections.close(), this.#oauthConnections?.close()]);
  }
}

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
