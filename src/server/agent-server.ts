/**
 * The agent's own HTTP server on `--server.http.listen-addr`, with Alloy's routes and bodies
 * (`internal/service/http`, `internal/service/ui`, `internal/web/api`): readiness, health, reload, metrics,
 * and under `--server.http.ui-path-prefix` the web UI and its API (components, live debugging, the graph's
 * rates). Unknown paths get Go's `404 page not found`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { LiveDebugging } from "../runtime/livedebugging/hub.ts";
import type { ComponentJSON } from "./components-api.ts";
import { parseListenAddress } from "./listen-address.ts";
import { serveProfile, streamComponent, streamGraph } from "./live-api.ts";
import type { UiBundle } from "./ui-assets.ts";
import type { Figures } from "./web-json.ts";

/** What the routes ask the rest of the agent. */
export interface AgentHandlers {
  /** Whether the initial load has succeeded. */
  ready(): boolean;
  /** Names (not IDs) of the components whose health is `unhealthy`. */
  unhealthyComponentNames(): string[] | Promise<string[]>;
  /** Reloads the config from disk; `error` is the text `/-/reload` answers with (status 400). */
  reload(): Promise<{ readonly error?: string | undefined }>;
  /** The `/metrics` body and its content type. */
  metrics(): Promise<{ readonly body: string; readonly contentType: string }>;
  components(): ComponentJSON[] | Promise<ComponentJSON[]>;
  component(id: string): ComponentJSON | undefined | Promise<ComponentJSON | undefined>;
}

/** The web UI and the API routes only it uses. */
export interface UiOptions {
  /** `--server.http.ui-path-prefix`, normalized to start and end with `/`. */
  readonly prefix: string;
  /** The built bundle; `undefined` when it was not built (the pages then say so). */
  readonly bundle: UiBundle | undefined;
  readonly liveDebugging: LiveDebugging;
  /** A component's figures; `undefined` when there is no such component. */
  figures(id: string): Promise<Figures | undefined>;
}

/** A listening agent server. */
export interface AgentServer {
  /** The address it listens on (with the real port when `:0` was asked for). */
  readonly address: AddressInfo;
  /**
   * Stops accepting connections and resolves once open requests are done, or after `graceMs`, when the
   * remaining connections are closed.
   */
  close(graceMs: number): Promise<void>;
}

/** Where Alloy serves the UI's API, under the UI prefix. */
const API_PATH = "api/v0/web/";
/** The UI's page routes (Alloy's, with `debug/{id}` for live debugging); each gets `index.html`. */
const PAGE_ROUTES: readonly RegExp[] = [/^$/, /^component\/.+$/, /^graph$/, /^debug\/.+$/];

/**
 * Listens on `listenAddr` and serves the routes; with `ui`, also the web UI and its live routes. Rejects
 * with `failed to listen on <addr>: <why>`.
 */
export async function startAgentServer(
  listenAddr: string,
  handlers: AgentHandlers,
  logger: Logger,
  ui?: UiOptions,
): Promise<AgentServer> {
  const { host, port } = parseListenAddress(listenAddr);
  const server = createServer((req, res) => {
    route(req, res, handlers, logger, ui).catch((err: unknown) => {
      logger.error({ err, path: req.url }, "http handler failed");
      if (!res.headersSent) text(res, 500, "internal server error\n");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`failed to listen on ${listenAddr}: ${err.message}`));
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  logger.info({ addr: formatAddress(address) }, "now listening for http traffic");
  return {
    address,
    close: (graceMs) => closeServer(server, graceMs),
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  handlers: AgentHandlers,
  logger: Logger,
  ui: UiOptions | undefined,
): Promise<void> {
  const url = requestURL(req.url ?? "/");
  const path = url?.path;
  if (url === undefined || path === undefined) {
    // Go's server refuses a request target it cannot parse before any handler sees it
    text(res, 400, "400 Bad Request\n");
    return;
  }
  const method = req.method ?? "GET";
  switch (path) {
    case "/-/ready":
      if (handlers.ready()) text(res, 200, "Alloy is ready.\n");
      else text(res, 503, "Alloy is not ready.\n");
      return;
    case "/-/healthy": {
      const unhealthy = await handlers.unhealthyComponentNames();
      if (unhealthy.length === 0) text(res, 200, "All Alloy components are healthy.\n");
      else text(res, 500, `unhealthy components: ${unhealthy.join(", ")}\n`);
      return;
    }
    case "/-/reload": {
      if (method !== "GET" && method !== "POST") break;
      logger.info("reload requested via /-/reload endpoint");
      const { error } = await handlers.reload();
      if (error !== undefined) text(res, 400, `${error}\n`);
      else text(res, 200, "config reloaded\n");
      return;
    }
    case "/metrics": {
      const { body, contentType } = await handlers.metrics();
      res.writeHead(200, { "Content-Type": contentType });
      res.end(body);
      return;
    }
  }
  const prefix = ui?.prefix ?? "/";
  if (path.startsWith(prefix + API_PATH)) {
    if (await api(req, res, path.slice(prefix.length + API_PATH.length), url.query, handlers, ui)) return;
  } else if (ui !== undefined && path.startsWith(prefix) && method === "GET") {
    const rest = path.slice(prefix.length);
    if (PAGE_ROUTES.some((r) => r.test(rest))) {
      page(res, ui);
      return;
    }
    const asset = rest.startsWith("assets/") ? ui.bundle?.assets.get(rest.slice(7)) : undefined;
    if (asset !== undefined) {
      res.writeHead(200, { "Content-Type": asset.contentType, "Cache-Control": "no-cache" });
      res.end(asset.body);
      return;
    }
  } else if (ui !== undefined && path === "/" && method === "GET") {
    res.writeHead(302, { Location: prefix });
    res.end();
    return;
  }
  text(res, 404, "404 page not found\n");
}

/** Serves one route of the UI API (`rest` is the path after `api/v0/web/`); false when there is none. */
async function api(
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  query: URLSearchParams,
  handlers: AgentHandlers,
  ui: UiOptions | undefined,
): Promise<boolean> {
  if (rest === "components") {
    // Alloy registers the components API for every method.
    json(res, await handlers.components());
    return true;
  }
  if (rest.startsWith("components/")) {
    const id = rest.slice("components/".length);
    const component = id === "" ? undefined : await handlers.component(id);
    if (component === undefined) return false;
    json(res, component);
    return true;
  }
  if (ui === undefined) return false;
  if (rest.startsWith("debug/") && rest.length > "debug/".length) {
    streamComponent(req, res, ui.liveDebugging, rest.slice("debug/".length), query);
    return true;
  }
  if (rest === "graph") {
    streamGraph(req, res, ui.liveDebugging, query);
    return true;
  }
  if (rest === "livedebugging/profile") {
    serveProfile(res, ui.liveDebugging, query);
    return true;
  }
  if (rest.startsWith("figures/")) {
    const figures = await ui.figures(rest.slice("figures/".length));
    if (figures === undefined) return false;
    json(res, figures);
    return true;
  }
  return false;
}

/** A page of the UI: `index.html`, or a plain explanation when the bundle was not built. */
function page(res: ServerResponse, ui: UiOptions): void {
  if (ui.bundle === undefined) {
    text(
      res,
      503,
      "The web UI was not built: run `npm run build:ui` (npm ci does it) and restart profile-relay.\n",
    );
    return;
  }
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" });
  res.end(ui.bundle.index);
}

/**
 * The decoded path and the query of a request target; `undefined` when it does not parse or has a bad `%`
 * escape.
 */
function requestURL(target: string): { path: string; query: URLSearchParams } | undefined {
  try {
    const url = new URL(target, "http://localhost");
    return { path: decodeURIComponent(url.pathname), query: url.searchParams };
  } catch {
    return undefined;
  }
}

/** `host:port` (`[v6]:port`) of a bound address: the real port when `:0` was asked for. */
export function formatAddress(a: AddressInfo): string {
  return a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
  });
  await Promise.race([closed, timeout]);
  clearTimeout(timer);
  await closed;
}
