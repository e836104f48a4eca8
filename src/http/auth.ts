/**
 * The `Authorization` header of an endpoint, from whichever auth setting is configured (at most one is):
 * `bearer_token`/`bearer_token_file` (turned into an `authorization` of type Bearer, as Alloy does),
 * `authorization`, `basic_auth` or `oauth2`.
 *
 * As in prometheus/common, static credentials are set only when the request has no `Authorization` yet, so an
 * `Authorization` in the endpoint's `headers` wins; an OAuth2 token always replaces it. Credential files are
 * read on every request and trimmed.
 */
import { readFile } from "node:fs/promises";
import type { Connections } from "./connections.ts";
import type { HeaderList } from "./headers.ts";
import { OAuth2TokenSource } from "./oauth2.ts";
import type { HttpClientConfig } from "./schema.ts";

/** Sets a request's `Authorization` header. */
export interface AuthLayer {
  apply(headers: HeaderList, signal?: AbortSignal): Promise<void>;
}

/**
 * Builds the auth layer for a client config, or undefined when no auth is configured. `oauthConnections` is
 * the connection pool for the OAuth2 token URL (the `oauth2` block's own TLS and proxy settings).
 */
export function createAuthLayer(
  cfg: HttpClientConfig,
  oauthConnections: () => Connections,
): AuthLayer | undefined {
  if (nonEmpty(cfg.bearer_token?.reveal())) {
    return credentialsLayer("Bearer", () => cfg.bearer_token?.reveal() ?? "");
  }
  if (nonEmpty(cfg.bearer_token_file)) {
    const file = cfg.bearer_token_file;
    return credentialsLayer("Bearer", () => readSecretFile(file, "authorization credentials"));
  }
  if (cfg.authorization !== undefined) {
    const a = cfg.authorization;
    const type = (a.type ?? "").trim() || "Bearer";
    const file = a.credentials_file;
    return nonEmpty(file)
      ? credentialsLayer(type, () => readSecretFile(file, "authorization credentials"))
      : credentialsLayer(type, () => a.credentials?.reveal() ?? "");
  }
  if (cfg.basic_auth !== undefined) {
    const b = cfg.basic_auth;
    const file = b.password_file;
    const password = nonEmpty(file)
      ? () => readSecretFile(file, "basic auth password")
      : () => b.password?.reveal() ?? "";
    return {
      async apply(headers) {
        if (headers.hasValue("authorization")) return;
        const encoded = Buffer.from(`${b.username ?? ""}:${await password()}`).toString("base64");
        headers.set("Authorization", `Basic ${encoded}`);
      },
    };
  }
  if (cfg.oauth2 !== undefined) {
    const source = new OAuth2TokenSource(cfg.oauth2, oauthConnections());
    return {
      async apply(headers, signal) {
        headers.set("Authorization", await source.authorization(signal));
      },
    };
  }
  return undefined;
}

function credentialsLayer(type: string, credentials: () => string | Promise<string>): AuthLayer {
  return {
    async apply(headers) {
      if (headers.hasValue("authorization")) return;
      headers.set("Authorization", `${type} ${await credentials()}`);
    },
  };
}

async function readSecretFile(file: string, what: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new Error(`unable to read ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s !== "";
}
