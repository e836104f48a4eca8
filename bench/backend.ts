/**
 * The bench's backend: the least a Pyroscope server does on the wire, so the figures measure the path in
 * front of it. It answers `POST /ingest` with an empty 200 and `POST /push.v1.PusherService/Push` with an
 * empty Connect unary success (a zero-length `PushResponse`), after reading the whole body, optionally after
 * a fixed delay (a Pyroscope v2 ingester acknowledges after its write-ahead segment is flushed, ~300 ms).
 * It counts what arrived, so the bench can check that a relay really forwarded what it acknowledged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the backend has received so far, per route. */
export interface BackendStats {
  readonly ingestRequests: number;
  readonly ingestBytes: number;
  readonly pushRequests: number;
  readonly pushBytes: number;
  /** Requests to any other route (answered 404). */
  readonly otherRequests: number;
}

/** How the backend answers. */
export interface BackendOptions {
  /** Milliseconds to wait after the body has arrived before answering; 0 answers at once. */
  readonly delayMs: number;
  /** Port to listen on (127.0.0.1); 0 picks a free one. */
  readonly port?: number;
}

/** A running backend. */
export interface Backend {
  readonly port: number;
  readonly url: string;
  stats(): BackendStats;
  close(): Promise<void>;
}

export const PUSH_PATH = "/push.v1.PusherService/Push";

/** Starts a backend on 127.0.0.1. */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const counts = { ingestRequests: 0, ingestBytes: 0, pushRequests: 0, pushBytes: 0, otherRequests: 0 };
  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) =>
    handle(req, res),
  );
  server.headersTimeout = 60_000;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method === "GET" && path === "/stats") {
      req.resume();
      const body = JSON.stringify(counts);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const route =
      req.method === "POST" && (path === "/ingest" || path === "/pyroscope/ingest")
        ? "ingest"
        : req.method === "POST" && path === PUSH_PATH
          ? "push"
          : "other";
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => {
      if (route === "ingest") {
        counts.ingestRequests++;
        counts.ingestBytes += bytes;
      } else if (route === "push") {
        counts.pushRequests++;
        counts.pushBytes += bytes;
      } else {
        counts.otherRequests++;
      }
      const answer = () => respond(req, res, route);
      if (options.delayMs > 0) setTimeout(answer, options.delayMs);
      else answer();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: options.port ?? 0, backlog: 8192 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function respond(req: IncomingMessage, res: ServerResponse, route: "ingest" | "push" | "other"): void {
  if (res.destroyed) return;
  if (route === "ingest") {
    res.writeHead(200, { "Content-Length": "0" });
    res.end();
    return;
  }
  if (route === "push") {
    // Connect unary success: an empty PushResponse, in the request's codec
    const json = (req.headers["content-type"] ?? "").startsWith("application/json");
    const body = json ? "{}" : "";
    res.writeHead(200, {
      "Content-Type": json ? "application/json" : "application/proto",
      "Content-Length": String(body.length),
    });
    res.end(body);
    return;
  }
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": "19" });
  res.end("404 page not found\n");
}
