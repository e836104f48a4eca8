/**
 * OAuth2 client-credentials tokens for an endpoint (Go's `golang.org/x/oauth2/clientcredentials`, as
 * prometheus/common uses it): fetched from `token_url`, cached until 10s before they expire, fetched once for
 * concurrent requests, and dropped when the client secret file changes.
 */
import { readFile } from "node:fs/promises";
import { request } from "undici";
import type { Connections } from "./connections.ts";
import type { OAuth2Config } from "./schema.ts";

/** A token is renewed this long before it expires (x/oauth2's `expiryDelta`). */
export const TOKEN_EXPIRY_MARGIN_MS = 10_000;

interface Token {
  readonly header: string;
  /** Epoch ms, or undefined when the server gave no `expires_in`. */
  readonly expiresAt: number | undefined;
}

/** Where the client credentials go: x/oauth2 tries a Basic header first, then form fields, and remembers. */
type AuthStyle = "unknown" | "header" | "params";

/** Fetches and caches tokens; `authorization()` gives the `Authorization` header value. */
export class OAuth2TokenSource {
  readonly #cfg: OAuth2Config;
  readonly #connections: Connections;
  readonly #now: () => number;
  #token: Token | undefined;
  #pending: Promise<Token> | undefined;
  #secret: string | undefined;
  #style: AuthStyle = "unknown";

  constructor(cfg: OAuth2Config, connections: Connections, now: () => number = Date.now) {
    this.#cfg = cfg;
    this.#connections = connections;
    this.#now = now;
  }

  /** The `Authorization` value, e.g. `Bearer <token>`, fetching a token when none is valid. */
  async authorization(signal?: AbortSignal): Promise<string> {
    const secret = await this.#clientSecret();
    if (secret !== this.#secret) {
      this.#secret = secret;
      this.#token = undefined;
    }
    const t = this.#token;
    if (
      t !== undefined &&
      (t.expiresAt === undefined || t.expiresAt - TOKEN_EXPIRY_MARGIN_MS > this.#now())
    ) {
      return t.header;
    }
    if (this.#pending === undefined) {
      this.#pending = this.#fetch(secret, signal).finally(() => {
        this.#pending = undefined;
      });
    }
    const token = await this.#pending;
    this.#token = token;
    return token.header;
  }

  async #clientSecret(): Promise<string> {
    const file = this.#cfg.client_secret_file;
    if (file !== undefined && file !== "") {
      try {
        return (await readFile(file, "utf8")).trim();
      } catch (err) {
        throw new Error(`unable to read oauth2 client secret file ${file}: ${errorText(err)}`);
      }
    }
    return this.#cfg.client_secret?.reveal() ?? "";
  }

  async #fetch(secret: string, signal: AbortSignal | undefined): Promise<Token> {
    if (this.#style !== "unknown") return this.#fetchWith(this.#style, secret, signal);
    try {
      const token = await this.#fetchWith("header", secret, signal);
      this.#style = "header";
      return token;
    } catch (headerErr) {
      if (signal?.aborted) throw headerErr;
      try {
        const token = await this.#fetchWith("params", secret, signal);
        this.#style = "params";
        return token;
      } catch {
        throw headerErr;
      }
    }
  }

  async #fetchWith(
    style: "header" | "params",
    secret: string,
    signal: AbortSignal | undefined,
  ): Promise<Token> {
    const cfg = this.#cfg;
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (cfg.scopes !== undefined && cfg.scopes.length > 0) form.set("scope", cfg.scopes.join(" "));
    for (const [k, v] of Object.entries(cfg.endpoint_params ?? {})) {
      if (form.has(k) && k !== "grant_type") throw new Error(`oauth2: cannot overwrite parameter "${k}"`);
      form.set(k, v);
    }
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    const clientId = cfg.client_id ?? "";
    if (style === "header") {
      const user = queryEscape(clientId);
      const pass = queryEscape(secret);
      headers["authorization"] = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    } else {
      form.set("client_id", clientId);
      if (secret !== "") form.set("client_secret", secret);
    }
    const url = new URL(cfg.token_url ?? "");
    const { dispatcher } = this.#connections.dispatcherFor(url);
    const res = await request(url, {
      method: "POST",
      headers,
      body: form.toString(),
      dispatcher,
      signal,
    }).catch((err: unknown) => {
      throw new Error(`oauth2: cannot fetch token: ${errorText(err)}`);
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new Error(`oauth2: cannot fetch token: ${res.statusCode}\nResponse: ${text.slice(0, 512)}`);
    }
    const contentType = String(res.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim();
    const fields =
      contentType === "application/x-www-form-urlencoded" || contentType === "text/plain"
        ? Object.fromEntries(new URLSearchParams(text))
        : parseJson(text);
    const accessToken = typeof fields["access_token"] === "string" ? fields["access_token"] : "";
    if (accessToken === "") throw new Error("oauth2: server response missing access_token");
    const expiresIn = Number(fields["expires_in"] ?? 0);
    return {
      header: `${tokenType(fields["token_type"])} ${accessToken}`,
      expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? this.#now() + expiresIn * 1000 : undefined,
    };
  }
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    throw new Error("oauth2: cannot parse json");
  }
}

/** x/oauth2 `Token.Type`: the case of well-known types is normalised; empty means Bearer. */
function tokenType(t: unknown): string {
  const s = typeof t === "string" ? t : "";
  switch (s.toLowerCase()) {
    case "bearer":
    case "":
      return "Bearer";
    case "mac":
      return "MAC";
    case "basic":
      return "Basic";
    default:
      return s;
  }
}

/** Go's `url.QueryEscape`, which x/oauth2 applies to the client ID and secret in the Basic header. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
