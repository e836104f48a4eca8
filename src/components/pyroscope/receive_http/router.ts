/**
 * Routes requests the way Alloy's gorilla/mux router inside dskit does, and instruments them with dskit's
 * request metrics.
 *
 * - `POST /ingest` (and `POST /pyroscope/ingest`, the Pyroscope server's alias) → the ingest handler;
 * - `POST /push.v1.PusherService/<anything>` → the push handler (which answers 404 for other methods);
 * - `POST /v1development/profiles` and `POST /opentelemetry.proto.collector.profiles.v1development.ProfilesService/
 *   <anything>` → the OTLP profiles handler (ours: Alloy has no OTLP route);
 * - a known path with another method → 405, empty body; any other path → 404 `404 page not found`;
 * - a path that is not clean (`//ingest`, `/a/../ingest`) → 301 to the clean path, as mux does.
 */

import type { Logger } from "pino";
import { type RouteLabel, routeSeriesTable, type ServerMetrics } from "./metrics.ts";
import type { NodeServerRequest, NodeServerResponse } from "./respond.ts";
import { closeAfterResponse, sendEmpty, sendText } from "./respond.ts";

/** One request on its way through a route handler. Handlers record the body sizes they read and wrote. */
export interface Exchange {
  readonly req: NodeServerRequest;
  readonly res: NodeServerResponse;
  /** The request path, percent-decoded, without the query. */
  readonly path: string;
  /** The raw query string, without the leading `?`. */
  readonly query: string;
  /** The client sent `Expect: 100-continue`: the handler calls `res.writeContinue()` once it wants the body. */
  readonly expectsContinue: boolean;
  requestBytes: number;
  responseBytes: number;
  /** An abort signal that fires when the client goes away before its response is complete. */
  clientGoneSignal(): AbortSignal;
}

/**
 * The router's exchange. The client-gone signal is made only when a handler asks for it, and fired from the
 * router's one `close` listener on the response.
 */
class RoutedExchange implements Exchange {
  readonly req: NodeServerRequest;
  readonly res: NodeServerResponse;
  readonly path: string;
  readonly query: string;
  readonly expectsContinue: boolean;
  requestBytes = 0;
  responseBytes = 0;
  #gone: AbortController | undefined;

  constructor(
    req: NodeServerRequest,
    res: NodeServerResponse,
    path: string,
    query: string,
    expectsContinue: boolean,
  ) {
    this.req = req;
    this.res = res;
    this.path = path;
    this.query = query;
    this.expectsContinue = expectsContinue;
  }

  clientGoneSignal(): AbortSignal {
    this.#gone ??= new AbortController();
    return this.#gone.signal;
  }

  /** The response closed: when it was not complete, the client went away. */
  closed(): void {
    if (this.#gone !== undefined && !this.res.writableFinished) {
      this.#gone.abort(new Error("client disconnected"));
    }
  }
}

/** A route's handler. Rejections are bugs: the router logs them and answers 500 if it still can. */
export type RouteHandler = (exchange: Exchange) => Promise<void>;

/** The handlers behind the routes. */
export interface Routes {
  readonly ingest: RouteHandler;
  readonly push: RouteHandler;
  readonly otlp: RouteHandler;
}

/**
 * The request listener the server calls; `expectsContinue` is true for `checkContinue` requests. It returns
 * what to do when the response closes, which the server calls from its own `close` listener (one per request).
 */
export type RequestListener = (
  req: NodeServerRequest,
  res: NodeServerResponse,
  expectsContinue: boolean,
) => () => void;

const PUSH_PREFIX = "/push.v1.PusherService/";
const OTLP_HTTP_PATH = "/v1development/profiles";
const OTLP_SERVICE_PREFIX = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/";

interface Match {
  readonly route: RouteLabel;
  readonly handler?: RouteHandler;
  readonly status?: 404 | 405;
}

/** Matches a clean path and method to a route, as the mux would. */
export function matchRoute(routes: Routes, method: string, path: string): Match {
  let route: RouteLabel | undefined;
  let handler: RouteHandler | undefined;
  if (path === "/ingest") {
    route = "ingest";
    handler = routes.ingest;
  } else if (path === "/pyroscope/ingest") {
    route = "pyroscope_ingest";
    handler = routes.ingest;
  } else if (path.startsWith(PUSH_PREFIX)) {
    route = "push_v1_pusherservice";
    handler = routes.push;
  } else if (path === OTLP_HTTP_PATH) {
    route = "v1development_profiles";
    handler = routes.otlp;
  } else if (path.startsWith(OTLP_SERVICE_PREFIX)) {
    route = "opentelemetry_proto_collector_profiles_v1development_profilesservice";
    handler = routes.otlp;
  }
  if (route === undefined || handler === undefined) return { route: "other", status: 404 };
  if (method !== "POST") return { route: "other", status: 405 };
  return { route, handler };
}

/** Go mux's `cleanPath`: `path.Clean`, keeping a trailing slash. */
export function cleanPath(p: string): string {
  // the usual case: rooted, no empty or dot segments
  if (p.charCodeAt(0) === 0x2f && !p.includes("//") && !p.includes("/.")) return p;
  if (p === "") return "/";
  const rooted = p.startsWith("/") ? p : `/${p}`;
  const out: string[] = [];
  for (const seg of rooted.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      out.pop();
      continue;
    }
    out.push(seg);
  }
  let cleaned = `/${out.join("/")}`;
  if (rooted.endsWith("/") && cleaned !== "/") cleaned += "/";
  return cleaned;
}

/** Splits a request target into the decoded path and the raw query. */
export function splitTarget(target: string): { path: string; rawPath: string; query: string } {
  let rest = target;
  const q0 = target.indexOf("?");
  const raw0 = q0 < 0 ? target : target.slice(0, q0);
  if (target.charCodeAt(0) === 0x2f && !raw0.includes("%")) {
    // origin-form without escapes in the path (what SDKs send): the path is its own decoding
    return { path: raw0, rawPath: raw0, query: q0 < 0 ? "" : target.slice(q0 + 1) };
  }
  if (!rest.startsWith("/")) {
    // absolute-form (`http://host/ingest?x`): keep only the path and query
    try {
      const u = new URL(rest);
      rest = `${u.pathname}${u.search}`;
    } catch {
      rest = `/${rest}`;
    }
  }
  const q = rest.indexOf("?");
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? "" : rest.slice(q + 1);
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // malformed escapes: match on the raw path
  }
  return { path, rawPath, query };
}

/** Builds the request listener: routing, metrics, and a 500 for handler bugs. */
export function createRouter(routes: Routes, metrics: ServerMetrics, logger: Logger): RequestListener {
  const seriesOf = routeSeriesTable(metrics);
  return function route(req, res, expectsContinue) {
    const started = performance.now();
    const method = req.method ?? "";
    const { path, rawPath, query } = splitTarget(req.url ?? "/");
    const exchange = new RoutedExchange(req, res, path, query, expectsContinue);

    const clean = cleanPath(path);
    const match: Match = clean !== path ? { route: "other" } : matchRoute(routes, method, path);
    const series = seriesOf(method, match.route);
    series.inflight.inc();
    const closed = (): void => {
      exchange.closed();
      series.inflight.dec();
      series.duration(res.statusCode).observe((performance.now() - started) / 1000);
      series.requestBytes.observe(exchange.requestBytes);
      series.responseBytes.observe(exchange.responseBytes);
    };

    if (clean !== path) {
      if (expectsContinue) closeAfterResponse(req, res);
      // gorilla/mux redirects unclean paths (the query is kept)
      const location = rawPath === path ? clean : encodeURI(clean);
      sendEmpty(res, 301, { Location: query === "" ? location : `${location}?${query}` });
      return closed;
    }
    if (match.handler === undefined) {
      // the client waits for 100 Continue before sending its body; it will not come, so do not wait for it
      if (expectsContinue) closeAfterResponse(req, res);
      if (match.status === 405) {
        sendEmpty(res, 405);
      } else {
        exchange.responseBytes = sendText(res, 404, "404 page not found");
      }
      return closed;
    }
    match.handler(exchange).catch((err: unknown) => {
      logger.error({ err, path }, "request handler failed");
      if (!res.headersSent) {
        exchange.responseBytes = sendText(res, 500, "Failed to process request");
      } else {
        res.destroy();
      }
    });
    return closed;
  };
}
