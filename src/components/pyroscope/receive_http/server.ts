/**
 * The HTTP server of `pyroscope.receive_http`: a `Listener` (TCP, connection limit) feeding a protocol stack
 * built from the `http` block — HTTP/1.1; plus h2c on the same port when `http2.enabled` (sniffed from the
 * HTTP/2 connection preface); or TLS (HTTP/1.1, plus `h2` by ALPN when `http2.enabled`).
 *
 * Go's timeouts map as follows: `server_read_timeout` bounds reading the whole request (headers and body),
 * `server_write_timeout` bounds the time from the request to the end of the response (then the connection is
 * closed, as Go's write deadline does), `server_idle_timeout` closes idle keep-alive connections.
 *
 * On a change of the `http` block the server is rebuilt; if the address and port stay the same the listening
 * socket is kept and only new connections go to the new stack, so no connection is refused in between.
 * Connections of the old stack are never closed under a client that may be sending on them: each finishes its
 * request (answered with `Connection: close`), idle ones close after their next request or keep-alive timeout,
 * all within `graceful_shutdown_timeout` (see `ProtocolStack.drain`, docs/reliability-receive.md).
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import { createServerTls, type ServerTls, tlsRequested } from "../../../http/server-tls.ts";
import type { HttpArguments } from "./arguments.ts";
import { ConnectionTracker, Listener, type SocketSink } from "./listener.ts";
import type { ServerMetrics } from "./metrics.ts";
import type { NodeServerRequest, NodeServerResponse } from "./respond.ts";
import type { RequestListener } from "./router.ts";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** One protocol stack: the Node servers for one `http` block, fed sockets by a `Listener`. */
export class ProtocolStack implements SocketSink {
  readonly tls: boolean;
  readonly #config: HttpArguments;
  readonly #listener: RequestListener;
  readonly #logger: Logger;
  readonly #serverTls: ServerTls | undefined;
  readonly #http1: http.Server | undefined;
  readonly #h2: http2.Http2Server | http2.Http2SecureServer | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  /** HTTP/1 responses not yet finished, to mark `Connection: close` when draining. */
  readonly #active = new Set<NodeServerResponse>();
  #draining = false;
  #onIdle: (() => void) | undefined;

  private constructor(
    config: HttpArguments,
    listener: RequestListener,
    logger: Logger,
    serverTls: ServerTls | undefined,
  ) {
    this.#config = config;
    this.#listener = listener;
    this.#logger = logger;
    this.#serverTls = serverTls;
    this.tls = serverTls !== undefined;

    const read = config.server_read_timeout;
    const http1Options: http.ServerOptions = {
      requestTimeout: read,
      headersTimeout: read,
      keepAliveTimeout: config.server_idle_timeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(read / 10) || 1000)),
    };
    const h2Settings = http2Settings(config);
    const onRequest = (req: NodeServerRequest, res: NodeServerResponse) => this.#handle(req, res, false);
    const onContinue = (req: NodeServerRequest, res: NodeServerResponse) => this.#handle(req, res, true);

    if (serverTls === undefined) {
      this.#http1 = http.createServer(http1Options);
      if (config.http2.enabled) {
        this.#h2 = http2.createServer({ settings: h2Settings });
      }
    } else if (config.http2.enabled) {
      const h2 = http2.createSecureServer({
        ...serverTls.options,
        allowHTTP1: true,
        settings: h2Settings,
        http1Options: { keepAliveTimeout: config.server_idle_timeout },
      });
      // HTTP/1.1 over this server uses Node's HTTP/1 timeouts, set as properties (no constructor options)
      Object.assign(h2, {
        requestTimeout: http1Options.requestTimeout,
        headersTimeout: http1Options.headersTimeout,
        connectionsCheckingInterval: http1Options.connectionsCheckingInterval,
      });
      h2.emit("listening");
      this.#h2 = h2;
    } else {
      this.#http1 = https.createServer({ ...serverTls.options, ...http1Options });
    }

    for (const server of [this.#http1, this.#h2]) {
      if (server === undefined) continue;
      server.on("request", onRequest);
      server.on("checkContinue", onContinue);
      if (serverTls !== undefined) {
        server.on("secureConnection", (socket: TLSSocket) => serverTls.checkPeer(socket));
        server.on("tlsClientError", (err: Error) => logger.debug({ err }, "TLS handshake failed"));
      }
    }
    if (this.#http1 !== undefined) {
      // The server never listens itself (the Listener does); this starts its request/headers timeout checks.
      this.#http1.emit("listening");
    }
    if (this.#h2 !== undefined) {
      const idle = config.http2.idle_timeout > 0 ? config.http2.idle_timeout : config.server_idle_timeout;
      if (idle > 0) this.#h2.setTimeout(idle);
      this.#h2.on("session", (session: http2.ServerHttp2Session) => this.#onSession(session));
    }
  }

  /** Builds the stack; rejects when the TLS files cannot be read. */
  static async create(
    config: HttpArguments,
    listener: RequestListener,
    logger: Logger,
  ): Promise<ProtocolStack> {
    const serverTls = tlsRequested(config.tls) ? await createServerTls(config.tls) : undefined;
    return new ProtocolStack(config, listener, logger, serverTls);
  }

  /** Takes over an accepted connection. */
  accept(socket: Socket): void {
    if (this.#draining) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => {
      this.#sockets.delete(socket);
      if (this.#sockets.size === 0) this.#onIdle?.();
    });
    if (this.#serverTls !== undefined) {
      const tls = this.#serverTls;
      const server = (this.#h2 ?? this.#http1) as https.Server | http2.Http2SecureServer;
      void tls
        .reload()
        .then((context) => {
          if (context !== undefined) server.setSecureContext(context);
        })
        // Not expected (reload checks the new pair and keeps the old one on any problem), but a rejection
        // here would end the process.
        .catch((err: unknown) => this.#logger.warn({ err }, "could not reload the TLS certificate"));
      server.emit("connection", socket);
      return;
    }
    if (this.#h2 === undefined) {
      this.#http1?.emit("connection", socket);
      return;
    }
    this.#sniff(socket);
  }

  /**
   * Stops taking requests without resetting a connection a client may be using. A request in flight is
   * answered, with `Connection: close` on HTTP/1.1 (HTTP/2 sessions get a GOAWAY), and the connection then
   * closes. An idle keep-alive connection is not closed under the client, which may be sending on it at this
   * very moment: it stays open until its next request (answered with `Connection: close`) or until its
   * keep-alive timeout, which the client knows. With `closeIdle` (stopping the process) idle connections
   * are closed at once instead, as Go's `Server.Shutdown` does. Whatever is left after `graceMs` is closed
   * hard. Resolves when every connection of this stack is closed.
   */
  drain(graceMs: number, closeIdle: boolean): Promise<void> {
    this.#draining = true;
    for (const res of this.#active) {
      if (!res.headersSent && !("stream" in res)) res.setHeader("Connection", "close");
    }
    for (const session of this.#sessions) {
      session.close();
    }
    if (closeIdle || this.#config.server_idle_timeout <= 0) this.closeIdle();
    const stopServers = () => {
      // Node's HTTP/1 servers stop their timeout checks on close(); they never listened, so ignore the error.
      this.#http1?.close(() => {});
      if (this.#h2 !== undefined && this.#serverTls !== undefined) this.#h2.close(() => {});
    };
    if (this.#sockets.size === 0) {
      stopServers();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const socket of this.#sockets) socket.destroy();
      }, graceMs);
      this.#onIdle = () => {
        clearTimeout(timer);
        stopServers();
        resolve();
      };
    });
  }

  /**
   * Closes the HTTP/1 connections with no request in progress (the process is stopping). A connection with a
   * request partly received or not yet answered is left to finish.
   */
  closeIdle(): void {
    if (this.#http1 !== undefined) {
      this.#http1.closeIdleConnections();
      return;
    }
    // HTTP/1.1 over an HTTP/2 TLS server (allowHTTP1) is served by the same server object
    const h2 = this.#h2 as { closeIdleConnections?: () => void } | undefined;
    h2?.closeIdleConnections?.();
  }

  #handle(req: NodeServerRequest, res: NodeServerResponse, expectsContinue: boolean): void {
    const http1 = req.httpVersionMajor < 2;
    if (http1) {
      if (this.#draining) res.setHeader("Connection", "close");
      this.#active.add(res);
    }
    const writeTimeout = this.#config.server_write_timeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (writeTimeout > 0) {
      timer = setTimeout(() => {
        if (res.writableEnded) return;
        this.#logger.warn(
          { path: req.url, timeoutMs: writeTimeout },
          "server_write_timeout reached, closing the connection",
        );
        if ("stream" in req) {
          req.stream.close(http2.constants.NGHTTP2_CANCEL);
        } else {
          req.socket.destroy();
        }
      }, writeTimeout);
    }
    // 'close' comes on a later tick, also for a response the listener ends at once: one listener for all
    const routed = this.#listener(req, res, expectsContinue);
    res.once("close", () => {
      if (timer !== undefined) clearTimeout(timer);
      if (http1) this.#active.delete(res);
      routed();
    });
  }

  #onSession(session: http2.ServerHttp2Session): void {
    this.#sessions.add(session);
    session.once("close", () => this.#sessions.delete(session));
    session.on("error", (err) => this.#logger.debug({ err }, "HTTP/2 session error"));
    const window = this.#config.http2.max_upload_buffer_per_connection;
    if (window > 0) {
      session.once("localSettings", () => {
        try {
          session.setLocalWindowSize(Math.min(window, 2 ** 31 - 1));
        } catch (err) {
          this.#logger.debug({ err }, "could not set the HTTP/2 connection window");
        }
      });
    }
    if (this.#draining) session.close();
  }

  /** Plain connection with h2c on: HTTP/2 prior knowledge starts with the preface, anything else is HTTP/1. */
  #sniff(socket: Socket): void {
    let seen: Buffer = Buffer.alloc(0);
    const read = this.#config.server_read_timeout;
    const timer = read > 0 ? setTimeout(() => socket.destroy(), read) : undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", done);
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const maybeH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (maybeH2 && seen.length < H2_PREFACE.length) return;
      done();
      socket.pause();
      socket.unshift(seen);
      if (maybeH2 && this.#h2 !== undefined) {
        // the HTTP/2 session reads what is buffered on the paused socket itself
        this.#h2.emit("connection", socket);
      } else {
        this.#http1?.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.once("close", done);
  }
}

function http2Settings(config: HttpArguments): http2.Settings {
  const h2 = config.http2;
  const settings: http2.Settings = {
    maxConcurrentStreams: h2.max_concurrent_streams,
    headerTableSize: h2.max_decoder_header_table_size,
  };
  if (h2.max_read_frame_size > 0) {
    settings.maxFrameSize = Math.max(16384, Math.min(h2.max_read_frame_size, 2 ** 24 - 1));
  }
  if (h2.max_upload_buffer_per_stream > 0) {
    settings.initialWindowSize = Math.min(h2.max_upload_buffer_per_stream, 2 ** 31 - 1);
  }
  return settings;
}

/** The running server of one component: a listener plus the current protocol stack. */
export class HttpServer {
  readonly #tracker: ConnectionTracker;
  readonly #listenerFn: RequestListener;
  readonly #logger: Logger;
  #config: HttpArguments | undefined;
  #listener: Listener | undefined;
  #stack: ProtocolStack | undefined;
  /** Stacks replaced or stopped whose connections are still finishing, with when they are all closed. */
  readonly #draining = new Map<ProtocolStack, Promise<void>>();

  constructor(metrics: ServerMetrics, listener: RequestListener, logger: Logger) {
    this.#tracker = new ConnectionTracker(0, metrics);
    this.#listenerFn = listener;
    this.#logger = logger;
  }

  /** The bound port, once started. */
  get port(): number | undefined {
    return this.#listener?.address.port;
  }

  /** The `http` block in force. */
  get config(): HttpArguments | undefined {
    return this.#config;
  }

  /**
   * Applies an `http` block: starts the server, or rebuilds it if the block changed. Rejects (leaving the
   * previous server running) when the port cannot be bound or the TLS files cannot be read.
   */
  async apply(config: HttpArguments, graceMs: number): Promise<void> {
    const stack = await ProtocolStack.create(config, this.#listenerFn, this.#logger);
    const old = this.#config;
    // the same address and port (or the port a `0` was given): keep the listening socket
    const sameBind =
      this.#listener !== undefined &&
      old !== undefined &&
      old.listen_address === config.listen_address &&
      (old.listen_port === config.listen_port || this.#listener.address.port === config.listen_port);
    let listener = this.#listener;
    if (!sameBind || listener === undefined) {
      try {
        listener = await Listener.open(
          config.listen_address,
          config.listen_port,
          this.#tracker,
          stack,
          this.#logger,
        );
      } catch (err) {
        void stack.drain(0, true);
        throw new Error(`failed to create server: ${(err as Error).message}`);
      }
      this.#listener?.close();
      this.#listener = listener;
    } else {
      listener.setSink(stack);
    }
    this.#tracker.setLimit(config.conn_limit);
    const previous = this.#stack;
    this.#stack = stack;
    this.#config = config;
    if (previous !== undefined) this.#drain(previous, graceMs, false);
    const address = listener.address;
    this.#logger.info(
      { address: address.address, port: address.port, tls: stack.tls, http2: config.http2.enabled },
      "server listening",
    );
  }

  /** Stops listening and drains every connection within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    const stack = this.#stack;
    this.#stack = undefined;
    this.#config = undefined;
    // stacks still draining from earlier reloads: their idle connections are not waited for either
    for (const old of this.#draining.keys()) old.closeIdle();
    if (stack !== undefined) this.#drain(stack, graceMs, true);
    await Promise.all(this.#draining.values());
  }

  #drain(stack: ProtocolStack, graceMs: number, closeIdle: boolean): void {
    const done = stack.drain(graceMs, closeIdle);
    this.#draining.set(stack, done);
    void done.then(() => this.#draining.delete(stack));
  }
}
