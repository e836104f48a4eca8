/**
 * The agent's own HTTP server on `--server.http.listen-addr`, with Alloy's routes and bodies
 * (`internal/service/http`, `internal/web/api`): readiness, health, reload, metrics and the components
 * API. Unknown paths get Go's `404 page not found`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { ComponentJSON } from "./components-api.ts";
import { parseListenAddress } from "./listen-address.ts";

/** What the routes ask the rest of the agent. */
export interface AgentHandlers {
  /** Whether the initial load has succeeded. */
  ready(): boolean;
  /** Names (not IDs) of the components whose health is `unhealthy`. */
  unhealthyComponentNames(): string[];
  /** Reloads the config from disk; `error` is the text `/-/reload` answers with (status 400). */
  reload(): Promise<{ readonly error?: string | undefined }>;
  /** The `/metrics` body and its content type. */
  metrics(): Promise<{ readonly body: string; readonly contentType: string }>;
  components(): ComponentJSON[];
  component(id: string): ComponentJSON | undefined;
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

const COMPONENTS_PREFIX = "/api/v0/web/components";

/** Listens on `listenAddr` and serves the routes. Rejects with `failed to listen on <addr>: <why>`. */
export async function startAgentServer(
  listenAddr: string,
  handlers: AgentHandlers,
  logger: Logger,
): Promise<AgentServer> {
  const { host, port } = parseListenAddress(listenAddr);
  const server = createServer((req, res) => {
    route(req, res, handlers, logger).catch((err: unknown) => {
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
): Promise<void> {
  const path = requestPath(req.url ?? "/");
  if (path === undefined) {
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
      const unhealthy = handlers.unhealthyComponentNames();
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
    case COMPONENTS_PREFIX:
      // Alloy registers the components API for every method.
      json(res, handlers.components());
      return;
  }
  if (path.startsWith(`${COMPONENTS_PREFIX}/`)) {
    const id = path.slice(COMPONENTS_PREFIX.length + 1);
    const component = id === "" ? undefined : handlers.component(id);
    if (component !== undefined) {
      json(res, component);
      return;
    }
  }
  text(res, 404, "404 page not found\n");
}

/** The decoded path of a request target; `undefined` when it does not parse or has a bad `%` escape. */
function requestPath(target: string): string | undefined {
  try {
    return decodeURIComponent(new URL(target, "http://localhost").pathname);
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
