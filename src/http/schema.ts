/**
 * The argument schema of Alloy's HTTP client settings (`internal/component/common/config/types.go`), shared by
 * every component with an endpoint-style block (`pyroscope.write`'s `endpoint`, later `replay`): auth blocks,
 * `tls_config`, proxy settings, `http_headers`, `follow_redirects`, `enable_http2`. Each block carries Alloy's
 * validation messages verbatim.
 *
 * A component spreads `httpClientFields` into its own block body and calls `validateHttpClient` from that
 * body's `validate` (Alloy validates the squashed client config from the enclosing block).
 */
import {
  attr,
  block,
  body,
  type Infer,
  type InferFields,
  t,
  type ValidationIssue,
} from "../syntax/schema.ts";
import type { Secret } from "../syntax/value.ts";
import { canonicalHeaderKey, RESERVED_HEADERS } from "./headers.ts";

/** The values `tls_config.min_version` accepts, and Node's names for them. */
export const TLS_VERSIONS: Readonly<Record<string, "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3">> = {
  TLS10: "TLSv1",
  TLS11: "TLSv1.1",
  TLS12: "TLSv1.2",
  TLS13: "TLSv1.3",
};

function present(s: string | Secret | undefined): boolean {
  if (s === undefined) return false;
  return (typeof s === "string" ? s : s.reveal()) !== "";
}

const tlsConfigFields = {
  ca_pem: attr(t.string(), { doc: "CA PEM-encoded text to validate the server with." }),
  ca_file: attr(t.string(), { doc: "CA certificate to validate the server with." }),
  cert_pem: attr(t.string(), { doc: "Certificate PEM-encoded text for client authentication." }),
  cert_file: attr(t.string(), { doc: "Certificate file for client authentication." }),
  key_pem: attr(t.secret(), { doc: "Key PEM-encoded text for client authentication." }),
  key_file: attr(t.string(), { doc: "Key file for client authentication." }),
  server_name: attr(t.string(), { doc: "ServerName extension to indicate the name of the server." }),
  insecure_skip_verify: attr(t.bool(), {
    default: false,
    doc: "Disables validation of the server certificate.",
  }),
  min_version: attr(t.string(), {
    doc: 'Minimum acceptable TLS version: "TLS10", "TLS11", "TLS12" or "TLS13" (default TLS 1.2).',
  }),
} as const;

/** Decoded `tls_config`. */
export type TlsConfig = InferFields<typeof tlsConfigFields>;

/** `tls_config { ... }`. */
export const tlsConfigBody = body(tlsConfigFields, { validate: (v) => first(validateTls(v)) });

function validateTls(v: TlsConfig): ValidationIssue[] {
  if (v.min_version !== undefined && v.min_version !== "" && !(v.min_version in TLS_VERSIONS)) {
    return [{ message: `unknown TLS version: ${v.min_version}`, field: "min_version" }];
  }
  if (present(v.ca_pem) && present(v.ca_file)) {
    return [{ message: "at most one of ca_pem and ca_file must be configured" }];
  }
  if (present(v.cert_pem) && present(v.cert_file)) {
    return [{ message: "at most one of cert_pem and cert_file must be configured" }];
  }
  if (present(v.key_pem) && present(v.key_file)) {
    return [{ message: "at most one of key_pem and key_file must be configured" }];
  }
  const usingCert = present(v.cert_pem) || present(v.cert_file);
  const usingKey = present(v.key_pem) || present(v.key_file);
  if (usingCert && !usingKey) {
    return [
      {
        message:
          "exactly one of key_pem or key_file must be configured when a client certificate is configured",
      },
    ];
  }
  if (usingKey && !usingCert) {
    return [
      { message: "exactly one of cert_pem or cert_file must be configured when a client key is configured" },
    ];
  }
  return [];
}

/** `basic_auth { ... }`. */
export const basicAuthBody = body(
  {
    username: attr(t.string(), { doc: "Basic auth username." }),
    password: attr(t.secret(), { doc: "Basic auth password." }),
    password_file: attr(t.string(), {
      doc: "File containing the basic auth password, read on every request.",
    }),
  },
  {
    validate: (v) =>
      present(v.password) && present(v.password_file)
        ? [{ message: "at most one of basic_auth password & password_file must be configured" }]
        : [],
  },
);

/** Decoded `basic_auth`. */
export type BasicAuthConfig = Infer<typeof basicAuthBody>;

/** `authorization { ... }`. */
export const authorizationBody = body(
  {
    type: attr(t.string(), { doc: 'Authorization type, for example "Bearer" (the default when empty).' }),
    credentials: attr(t.secret(), { doc: "Secret value." }),
    credentials_file: attr(t.string(), { doc: "File containing the secret value, read on every request." }),
  },
  {
    validate: (v) => {
      if (present(v.credentials) && present(v.credentials_file)) {
        return [
          { message: "at most one of authorization credentials & credentials_file must be configured" },
        ];
      }
      if ((v.type ?? "").trim().toLowerCase() === "basic") {
        return [{ message: 'authorization type cannot be set to "basic", use "basic_auth" block instead' }];
      }
      return [];
    },
  },
);

/** Decoded `authorization`. */
export type AuthorizationConfig = Infer<typeof authorizationBody>;

/** The proxy attributes, shared by the endpoint and `oauth2` (Alloy's squashed `ProxyConfig`). */
export const proxyFields = {
  proxy_url: attr(t.string(), { doc: "HTTP proxy to send requests through." }),
  no_proxy: attr(t.string(), {
    doc: "Comma-separated list of IP addresses, CIDR notations, and domain names to exclude from proxying.",
  }),
  proxy_from_environment: attr(t.bool(), {
    default: false,
    doc: "Use the proxy URL indicated by the environment variables HTTP_PROXY, HTTPS_PROXY and NO_PROXY.",
  }),
  proxy_connect_header: attr(t.map(t.list(t.secret())), {
    doc: "Headers to send to proxies during CONNECT requests.",
  }),
} as const;

/** The decoded proxy attributes. */
export interface ProxyConfig {
  proxy_url: string | undefined;
  no_proxy: string | undefined;
  proxy_from_environment: boolean;
  proxy_connect_header: Record<string, Secret[]> | undefined;
}

/** Alloy's `ProxyConfig.Validate`, first failure only. */
export function validateProxy(v: ProxyConfig): ValidationIssue[] {
  const hasUrl = present(v.proxy_url);
  if (Object.keys(v.proxy_connect_header ?? {}).length > 0 && !v.proxy_from_environment && !hasUrl) {
    return [
      {
        message:
          "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
      },
    ];
  }
  if (v.proxy_from_environment && hasUrl) {
    return [{ message: "if proxy_from_environment is configured, proxy_url must not be configured" }];
  }
  if (v.proxy_from_environment && present(v.no_proxy)) {
    return [{ message: "if proxy_from_environment is configured, no_proxy must not be configured" }];
  }
  if (!hasUrl && present(v.no_proxy)) {
    return [{ message: "if no_proxy is configured, proxy_url must also be configured" }];
  }
  return [];
}

/** `oauth2 { ... }`: the client-credentials grant, with its own TLS and proxy settings for the token URL. */
export const oauth2Body = body(
  {
    client_id: attr(t.string(), { doc: "OAuth2 client ID." }),
    client_secret: attr(t.secret(), { doc: "OAuth2 client secret." }),
    client_secret_file: attr(t.string(), { doc: "File containing the OAuth2 client secret." }),
    scopes: attr(t.list(t.string()), { doc: "List of scopes to authenticate with." }),
    token_url: attr(t.string(), { doc: "URL to fetch the token from." }),
    endpoint_params: attr(t.map(t.string()), { doc: "Optional parameters to append to the token URL." }),
    ...proxyFields,
    tls_config: block(tlsConfigBody, { doc: "TLS settings for the connection to the token URL." }),
  },
  {
    validate: (v) => {
      if (!present(v.client_id)) return [{ message: "oauth2 client_id must be configured" }];
      if (!present(v.token_url)) return [{ message: "oauth2 token_url must be configured" }];
      if (!present(v.client_secret) && !present(v.client_secret_file)) {
        return [{ message: "either oauth2 client_secret or client_secret_file must be configured" }];
      }
      if (present(v.client_secret) && present(v.client_secret_file)) {
        return [{ message: "at most one of oauth2 client_secret & client_secret_file must be configured" }];
      }
      return validateProxy(v);
    },
  },
);

/** Decoded `oauth2`. */
export type OAuth2Config = Infer<typeof oauth2Body>;

/** The HTTP client attributes and blocks, to spread into an endpoint-style block body. */
export const httpClientFields = {
  bearer_token: attr(t.secret(), { doc: "Bearer token to authenticate with." }),
  bearer_token_file: attr(t.string(), {
    doc: "File containing a bearer token to authenticate with, read on every request.",
  }),
  basic_auth: block(basicAuthBody, { doc: "Basic authentication." }),
  authorization: block(authorizationBody, { doc: "Authorization header credentials." }),
  oauth2: block(oauth2Body, { doc: "OAuth2 client credentials; tokens are cached until they expire." }),
  tls_config: block(tlsConfigBody, { doc: "TLS settings for the connection to the endpoint." }),
  ...proxyFields,
  follow_redirects: attr(t.bool(), {
    default: true,
    doc: "Whether redirects returned by the server should be followed.",
  }),
  enable_http2: attr(t.bool(), {
    default: true,
    doc: "Whether HTTP/2 is offered to the server (negotiated over TLS).",
  }),
  http_headers: attr(t.map(t.list(t.secret())), {
    doc: "Custom HTTP headers to be sent along with each request; values are appended. The map key is the header name.",
  }),
} as const;

const httpClientBody = body(httpClientFields);

/** The decoded HTTP client settings of one endpoint-style block. */
export type HttpClientConfig = Infer<typeof httpClientBody>;

/**
 * Alloy's `HTTPClientConfig.Validate` (the auth blocks' own checks run on those blocks): at most one auth
 * method, no reserved `http_headers`, the proxy rules. First failure only, as Go returns one error.
 */
export function validateHttpClient(v: HttpClientConfig): ValidationIssue[] {
  const authCount = [
    v.basic_auth !== undefined,
    v.authorization !== undefined,
    v.oauth2 !== undefined,
    present(v.bearer_token),
    present(v.bearer_token_file),
  ].filter(Boolean).length;
  if (authCount > 1) {
    return [
      {
        message:
          "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
      },
    ];
  }
  for (const name of Object.keys(v.http_headers ?? {})) {
    const canonical = canonicalHeaderKey(name);
    if (RESERVED_HEADERS.has(canonical)) {
      return [{ message: `setting header "${canonical}" is not allowed`, field: "http_headers" }];
    }
  }
  return validateProxy(v);
}

function first(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.slice(0, 1);
}
