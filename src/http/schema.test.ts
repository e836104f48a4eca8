import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { httpClientConfig as client, tlsConfig } from "../../test/support/http-config.ts";
import { Secret } from "../syntax/value.ts";
import { canonicalHeaderKey, HeaderList } from "./headers.ts";
import { authorizationBody, basicAuthBody, oauth2Body, tlsConfigBody, validateHttpClient } from "./schema.ts";

const s = (text: string) => new Secret(text);

function messages(issues: readonly { message: string }[]): string[] {
  return issues.map((i) => i.message);
}

describe("HTTP client validation (Alloy's messages)", () => {
  test("at most one auth method", () => {
    const auth =
      "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured";
    assert.deepEqual(
      messages(validateHttpClient(client({ bearer_token: s("t"), bearer_token_file: "/f" }))),
      [auth],
    );
    assert.deepEqual(
      messages(
        validateHttpClient(
          client({
            basic_auth: { username: "u", password: undefined, password_file: undefined },
            bearer_token: s("t"),
          }),
        ),
      ),
      [auth],
    );
    assert.deepEqual(
      messages(validateHttpClient(client({ bearer_token: s(""), bearer_token_file: "/f" }))),
      [],
    );
  });

  test("reserved http_headers, canonical name in the message", () => {
    assert.deepEqual(messages(validateHttpClient(client({ http_headers: { "user-agent": [s("x")] } }))), [
      'setting header "User-Agent" is not allowed',
    ]);
    assert.deepEqual(messages(validateHttpClient(client({ http_headers: { "x-amz-date": [s("x")] } }))), [
      'setting header "X-Amz-Date" is not allowed',
    ]);
    assert.deepEqual(
      messages(validateHttpClient(client({ http_headers: { "X-Scope-OrgID": [s("x")] } }))),
      [],
    );
  });

  test("proxy rules", () => {
    const h = { "X-A": [s("v")] };
    assert.deepEqual(messages(validateHttpClient(client({ proxy_connect_header: h }))), [
      "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
    ]);
    assert.deepEqual(
      messages(validateHttpClient(client({ proxy_from_environment: true, proxy_url: "http://p" }))),
      ["if proxy_from_environment is configured, proxy_url must not be configured"],
    );
    assert.deepEqual(messages(validateHttpClient(client({ proxy_from_environment: true, no_proxy: "x" }))), [
      "if proxy_from_environment is configured, no_proxy must not be configured",
    ]);
    assert.deepEqual(messages(validateHttpClient(client({ no_proxy: "x" }))), [
      "if no_proxy is configured, proxy_url must also be configured",
    ]);
    assert.deepEqual(
      messages(validateHttpClient(client({ proxy_url: "http://p", no_proxy: "x", proxy_connect_header: h }))),
      [],
    );
  });

  test("basic_auth, authorization", () => {
    const basic = basicAuthBody.validate!;
    assert.deepEqual(messages(basic({ username: "u", password: s("p"), password_file: "/f" })), [
      "at most one of basic_auth password & password_file must be configured",
    ]);
    const authz = authorizationBody.validate!;
    assert.deepEqual(messages(authz({ type: undefined, credentials: s("c"), credentials_file: "/f" })), [
      "at most one of authorization credentials & credentials_file must be configured",
    ]);
    assert.deepEqual(messages(authz({ type: " BASIC ", credentials: s("c"), credentials_file: undefined })), [
      'authorization type cannot be set to "basic", use "basic_auth" block instead',
    ]);
    assert.deepEqual(
      messages(authz({ type: undefined, credentials: s("c"), credentials_file: undefined })),
      [],
    );
  });

  test("oauth2", () => {
    const v = oauth2Body.validate!;
    const base = {
      client_id: "id",
      client_secret: s("secret"),
      client_secret_file: undefined,
      scopes: undefined,
      token_url: "http://t",
      endpoint_params: undefined,
      proxy_url: undefined,
      no_proxy: undefined,
      proxy_from_environment: false,
      proxy_connect_header: undefined,
      tls_config: undefined,
    };
    assert.deepEqual(messages(v(base)), []);
    assert.deepEqual(messages(v({ ...base, client_id: undefined })), ["oauth2 client_id must be configured"]);
    assert.deepEqual(messages(v({ ...base, token_url: "" })), ["oauth2 token_url must be configured"]);
    assert.deepEqual(messages(v({ ...base, client_secret: undefined })), [
      "either oauth2 client_secret or client_secret_file must be configured",
    ]);
    assert.deepEqual(messages(v({ ...base, client_secret_file: "/f" })), [
      "at most one of oauth2 client_secret & client_secret_file must be configured",
    ]);
    assert.deepEqual(messages(v({ ...base, no_proxy: "x" })), [
      "if no_proxy is configured, proxy_url must also be configured",
    ]);
  });

  test("tls_config", () => {
    const v = tlsConfigBody.validate!;
    const none = tlsConfig();
    assert.deepEqual(messages(v(none)), []);
    assert.deepEqual(messages(v({ ...none, ca_pem: "x", ca_file: "y" })), [
      "at most one of ca_pem and ca_file must be configured",
    ]);
    assert.deepEqual(messages(v({ ...none, cert_pem: "x", cert_file: "y" })), [
      "at most one of cert_pem and cert_file must be configured",
    ]);
    assert.deepEqual(messages(v({ ...none, key_pem: s("x"), key_file: "y" })), [
      "at most one of key_pem and key_file must be configured",
    ]);
    assert.deepEqual(messages(v({ ...none, cert_file: "c" })), [
      "exactly one of key_pem or key_file must be configured when a client certificate is configured",
    ]);
    assert.deepEqual(messages(v({ ...none, key_pem: s("k") })), [
      "exactly one of cert_pem or cert_file must be configured when a client key is configured",
    ]);
    assert.deepEqual(messages(v({ ...none, min_version: "TLS14" })), ["unknown TLS version: TLS14"]);
    assert.deepEqual(messages(v({ ...none, min_version: "TLS13" })), []);
  });
});

describe("headers", () => {
  test("Go's canonical header keys", () => {
    assert.equal(canonicalHeaderKey("x-scope-orgid"), "X-Scope-Orgid");
    assert.equal(canonicalHeaderKey("CONTENT-TYPE"), "Content-Type");
    assert.equal(canonicalHeaderKey("www-authenticate"), "Www-Authenticate");
    assert.equal(canonicalHeaderKey("bad header"), "bad header");
  });
  test("HeaderList: Set replaces, Add appends, names are case-insensitive, one line per value", () => {
    const h = new HeaderList();
    h.set("content-type", "a");
    h.add("Content-Type", "b");
    h.set("X-One", "1");
    h.set("x-one", "2");
    assert.deepEqual(h.getAll("CONTENT-TYPE"), ["a", "b"]);
    assert.deepEqual(h.toFlat(), ["Content-Type", "a", "Content-Type", "b", "X-One", "2"]);
    const c = h.clone();
    c.delete("x-one");
    assert.equal(h.get("x-one"), "2");
    assert.equal(c.has("x-one"), false);
    assert.equal(new HeaderList().hasValue("authorization"), false);
  });
});
