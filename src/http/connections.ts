/**
 * The connection pools of one HTTP client: a direct undici `Agent` and one `ProxyAgent` per proxy in use, all
 * with the client's TLS settings. Keep-alive is on; HTTP/2 is offered over TLS (ALPN) when enabled, as Go
 * does; plain `http://` stays HTTP/1.1.
 *
 * Idle connections are retired before the server would close them: undici honours the server's
 * `Keep-Alive: timeout=N` hint minus a margin, and otherwise closes an idle socket after a few seconds, so a
 * request is not written onto a connection the server has just dropped (the stale-connection failures behind
 * Alloy's "context deadline exceeded" reports).
 */
import { Agent, type Dispatcher, ProxyAgent } from "undici";
import type { ProxySelector } from "./proxy.ts";
import type { TlsOptions } from "./tls.ts";

/** How the pools are built. */
export interface ConnectionSettings {
  readonly tls: TlsOptions;
  readonly proxyFor: ProxySelector;
  /** Sent to the proxy with CONNECT (and, for plain-HTTP targets, with each proxied request). */
  readonly proxyHeaders: Readonly<Record<string, string[]>>;
  readonly allowH2: boolean;
}

/** Idle time after which an unused connection is closed when the server gave no `Keep-Alive` hint. */
export const IDLE_CONNECTION_TIMEOUT_MS = 4_000;
/** The longest a server hint may keep an idle connection (Go's `IdleConnTimeout`, 5m). */
export const MAX_IDLE_CONNECTION_TIMEOUT_MS = 300_000;
/** Subtracted from a server's `Keep-Alive: timeout` hint, so we always close first. */
export const IDLE_TIMEOUT_MARGIN_MS = 2_000;
/** TCP connect timeout (Go's dialer: 30s). */
export const CONNECT_TIMEOUT_MS = 30_000;

function agentOptions(s: ConnectionSettings): Agent.Options {
  return {
    allowH2: s.allowH2,
    keepAliveTimeout: IDLE_CONNECTION_TIMEOUT_MS,
    keepAliveMaxTimeout: MAX_IDLE_CONNECTION_TIMEOUT_MS,
    keepAliveTimeoutThreshold: IDLE_TIMEOUT_MARGIN_MS,
    // Only the per-attempt deadline bounds a request, as in Go (no client-level timeout).
    headersTimeout: 0,
    bodyTimeout: 0,
  };
}

/** Picks the pool for each request URL; closes them all on `close()`. */
export class Connections {
  readonly #settings: ConnectionSettings;
  readonly #direct: Agent;
  readonly #proxies = new Map<string, ProxyAgent>();

  constructor(settings: ConnectionSettings) {
    this.#settings = settings;
    this.#direct = new Agent({
      ...agentOptions(settings),
      connect: { ...settings.tls, timeout: CONNECT_TIMEOUT_MS },
    });
  }

  /** The dispatcher to use for a request to `url`, and the proxy it goes through (if any). */
  dispatcherFor(url: URL): { dispatcher: Dispatcher; proxy: URL | undefined } {
    const proxy = this.#settings.proxyFor(url);
    if (proxy === undefined) return { dispatcher: this.#direct, proxy };
    let agent = this.#proxies.get(proxy.href);
    if (agent === undefined) {
      agent = new ProxyAgent({
        ...agentOptions(this.#settings),
        uri: proxy.href,
        requestTls: { ...this.#settings.tls, timeout: CONNECT_TIMEOUT_MS },
        headers: this.#settings.proxyHeaders,
        // Plain-HTTP targets are sent to the proxy in absolute form, HTTPS targets through CONNECT (Go's way).
        proxyTunnel: false,
      });
      this.#proxies.set(proxy.href, agent);
    }
    return { dispatcher: agent, proxy };
  }

  /** Closes every pool once its in-flight requests are done. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#direct.close(), ...[...this.#proxies.values()].map((a) => a.close())]);
  }
}
