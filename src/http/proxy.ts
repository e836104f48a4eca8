/**
 * Chooses the proxy for a request from the proxy settings, as prometheus/common does: `proxy_url` alone proxies
 * every request; `proxy_url` with `no_proxy`, and `proxy_from_environment`, follow Go's `httpproxy` rules
 * (see `no-proxy.ts`).
 */
import { NoProxy } from "./no-proxy.ts";
import { redactUrl } from "./redact-url.ts";
import type { ProxyConfig } from "./schema.ts";

/** Returns the proxy URL for a request URL, or undefined to connect directly. */
export type ProxySelector = (url: URL) => URL | undefined;

/** The environment variables `proxy_from_environment` reads. */
export interface ProxyEnvironment {
  readonly [name: string]: string | undefined;
}

/**
 * Builds the selector. The environment is read once, when the client is built. Throws when `proxy_url` is not
 * a URL.
 */
export function proxySelector(cfg: ProxyConfig, env: ProxyEnvironment = process.env): ProxySelector {
  if (cfg.proxy_from_environment) {
    const httpProxy = parseProxy(env["HTTP_PROXY"] || env["http_proxy"] || "");
    const httpsProxy = parseProxy(env["HTTPS_PROXY"] || env["https_proxy"] || "");
    const noProxy = new NoProxy(env["NO_PROXY"] || env["no_proxy"] || "");
    return (url) => {
      const proxy = url.protocol === "https:" ? httpsProxy : url.protocol === "http:" ? httpProxy : undefined;
      return proxy !== undefined && noProxy.useProxy(url) ? proxy : undefined;
    };
  }
  if (cfg.proxy_url === undefined || cfg.proxy_url === "") return () => undefined;
  let proxy: URL;
  try {
    proxy = new URL(cfg.proxy_url);
  } catch {
    throw new Error(`invalid proxy_url "${redactUrl(cfg.proxy_url)}"`);
  }
  if (cfg.no_proxy === undefined || cfg.no_proxy === "") return () => proxy;
  const noProxy = new NoProxy(cfg.no_proxy);
  return (url) => (noProxy.useProxy(url) ? proxy : undefined);
}

/** Go's `parseProxy`: a value without a scheme is taken as `http://<value>`. */
function parseProxy(value: string): URL | undefined {
  if (value === "") return undefined;
  try {
    const u = new URL(value);
    if (u.host !== "") return u;
  } catch {
    // fall through
  }
  try {
    return new URL(`http://${value}`);
  } catch {
    return undefined;
  }
}
