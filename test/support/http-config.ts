/**
 * HTTP client arguments (`src/http/schema.ts`) as the decoder gives them for an empty block, with a test's
 * overrides: every field written out, so a test states exactly the configuration it runs with.
 */
import type { HttpClientConfig, TlsConfig } from "../../src/http/schema.ts";

/** An endpoint's HTTP client settings: nothing set but Alloy's defaults, plus `overrides`. */
export function httpClientConfig(overrides: Partial<HttpClientConfig> = {}): HttpClientConfig {
  return {
    bearer_token: undefined,
    bearer_token_file: undefined,
    basic_auth: undefined,
    authorization: undefined,
    oauth2: undefined,
    tls_config: undefined,
    proxy_url: undefined,
    no_proxy: undefined,
    proxy_from_environment: false,
    proxy_connect_header: undefined,
    follow_redirects: true,
    enable_http2: true,
    http_headers: undefined,
    ...overrides,
  };
}

/** A `tls_config` block: nothing set, plus `overrides`. */
export function tlsConfig(overrides: Partial<TlsConfig> = {}): TlsConfig {
  return {
    ca_pem: undefined,
    ca_file: undefined,
    cert_pem: undefined,
    cert_file: undefined,
    key_pem: undefined,
    key_file: undefined,
    server_name: undefined,
    insecure_skip_verify: false,
    min_version: undefined,
    ...overrides,
  };
}
