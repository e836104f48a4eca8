/**
 * The TCP listener: accepts connections, counts them (`pyroscope_receive_http_tcp_connections`), enforces
 * `conn_limit`, and hands each accepted socket to the current protocol stack.
 *
 * At the limit Alloy stops calling `accept`, so new clients stall until they time out. We fail fast instead:
 * a connection beyond the limit is answered at once with `503` and `Retry-After` on a plain listener, or
 * closed on a TLS one, so clients back off and retry.
 */
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { ServerMetrics } from "./metrics.ts";

/** What the listener hands sockets to. */
export interface SocketSink {
  accept(socket: Socket): void;
  /** Whether connections are TLS (a refusal is then a plain close). */
  readonly tls: boolean;
}

/** Open-connection accounting shared by every listener of one component, so the limit spans restarts. */
export class ConnectionTracker {
  #open = 0;
  #limit: number;
  readonly #metrics: ServerMetrics;

  constructor(limit: number, metrics: ServerMetrics) {
    this.#limit = limit;
    this.#metrics = metrics;
    metrics.tcpConnectionsLimit.set({ protocol: "http" }, limit);
  }

  setLimit(limit: number): void {
    this.#limit = limit;
    this.#metrics.tcpConnectionsLimit.set({ protocol: "http" }, limit);
  }

  get open(): number {
    return this.#open;
  }

  /** Counts a new connection if the limit allows it. */
  tryOpen(): boolean {
    if (this.#limit > 0 && this.#open >= this.#limit) return false;
    this.#open++;
    this.#metrics.tcpConnections.set({ protocol: "http" }, this.#open);
    return true;
  }

  close(): void {
    this.#open = Math.max(0, this.#open - 1);
    this.#metrics.tcpConnections.set({ protocol: "http" }, this.#open);
  }
}

const REFUSAL_BODY = "connection limit reached, try again later\n";
const REFUSAL = Buffer.from(
  "HTTP/1.1 503 Service Unavailable\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    "Retry-After: 1\r\n" +
    "Connection: close\r\n" +
    `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n\r\n` +
    REFUSAL_BODY,
);
/** How long a refused connection may linger so the client reads the 503 before we close. */
const REFUSAL_LINGER_MS = 1000;

/**
 * The accept queue's length. Go (so Alloy) listens with the system's `net.core.somaxconn` (4096 on current
 * Linux); Node's default is 511, so a burst of new connections (clients reconnecting after a restart) had SYNs
 * dropped and waited seconds for the retransmit. The kernel caps this at `somaxconn`, which gives Go's value.
 */
const LISTEN_BACKLOG = 65_535;

/** A bound TCP listener feeding one protocol stack at a time. */
export class Listener {
  readonly #server: Server;
  readonly #tracker: ConnectionTracker;
  readonly #logger: Logger;
  #sink: SocketSink;

  private constructor(server: Server, tracker: ConnectionTracker, sink: SocketSink, logger: Logger) {
    this.#server = server;
    this.#tracker = tracker;
    this.#sink = sink;
    this.#logger = logger;
  }

  /** Binds `address:port` (empty address: every interface). Rejects when the port cannot be bound. */
  static open(
    address: string,
    port: number,
    tracker: ConnectionTracker,
    sink: SocketSink,
    logger: Logger,
  ): Promise<Listener> {
    const server = createServer({ noDelay: true });
    const listener = new Listener(server, tracker, sink, logger);
    server.on("connection", (socket) => listener.#onConnection(socket));
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        server.close();
        reject(err);
      };
      server.once("error", onError);
      server.listen({ host: address === "" ? undefined : address, port, backlog: LISTEN_BACKLOG }, () => {
        server.off("error", onError);
        server.on("error", (err) => logger.warn({ err }, "listener error"));
        resolve(listener);
      });
    });
  }

  /** The bound address and port (the real port when 0 was asked for). */
  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Sends new connections to `sink` from now on; connections already accepted stay where they are. */
  setSink(sink: SocketSink): void {
    this.#sink = sink;
  }

  /** Stops accepting connections (the port is released); accepted connections are not touched. */
  close(): void {
    this.#server.close();
  }

  #onConnection(socket: Socket): void {
    socket.on("error", () => {
      // errors are handled by whoever owns the socket; without this one an early reset would crash the process
    });
    if (!this.#tracker.tryOpen()) {
      this.#refuse(socket);
      return;
    }
    socket.once("close", () => this.#tracker.close());
    this.#sink.accept(socket);
  }

  #refuse(socket: Socket): void {
    this.#logger.debug({ remote: socket.remoteAddress }, "connection refused: conn_limit reached");
    if (this.#sink.tls) {
      socket.destroy();
      return;
    }
    socket.end(REFUSAL);
    socket.resume(); // read and drop what the client sends, so closing does not reset the connection
    const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    socket.once("end", () => socket.destroy());
  }
}
