import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BlockStmt } from "../../../syntax/ast.ts";
import { decodeBody } from "../../../syntax/decode.ts";
import { diagnosticOneLine } from "../../../syntax/diagnostics.ts";
import { parseFile } from "../../../syntax/parser.ts";
import { writeArguments } from "./arguments.ts";

/** Decodes the body of `pyroscope.write "x" { ... }` from config text, as the runtime does. */
function decode(inner: string) {
  const source = `pyroscope.write "default" {\n${inner}\n}\n`;
  const { file, diagnostics } = parseFile(source, "config.alloy");
  assert.deepEqual(diagnostics.map(diagnosticOneLine), []);
  const block = file.body[0] as BlockStmt;
  const r = decodeBody(writeArguments, block.body, { scope: new Map(), file: "config.alloy", block });
  return { value: r.value, messages: r.diagnostics.map((d) => d.message) };
}

describe("pyroscope.write arguments from config text", () => {
  test("Test_Unmarshal_Config: two endpoints and external labels decode as written, with defaults", () => {
    const { value, messages } = decode(`
      endpoint {
        url = "http://localhost:4100"
        remote_timeout = "10s"
      }
      endpoint {
        url = "http://localhost:4200"
        remote_timeout = "5s"
        min_backoff_period = "1s"
        max_backoff_period = "10s"
        max_backoff_retries = 10
      }
      external_labels = {
        "foo" = "bar",
      }`);
    assert.deepEqual(messages, []);
    assert.ok(value);
    assert.deepEqual({ ...value.external_labels }, { foo: "bar" });
    const [a, b] = value.endpoint;
    assert.equal(a?.url, "http://localhost:4100");
    assert.equal(a?.remote_timeout, 10_000);
    assert.equal(a?.min_backoff_period, 500);
    assert.equal(a?.max_backoff_period, 300_000);
    assert.equal(a?.max_backoff_retries, 10);
    assert.equal(a?.retry_on_http_429, true);
    assert.equal(a?.follow_redirects, true);
    assert.equal(a?.enable_http2, true);
    assert.equal(a?.proxy_from_environment, false);
    assert.equal(a?.name, "");
    assert.equal(b?.url, "http://localhost:4200");
    assert.equal(b?.remote_timeout, 5_000);
    assert.equal(b?.min_backoff_period, 1_000);
    assert.equal(b?.max_backoff_period, 10_000);
    assert.deepEqual(value.tracing, { jaeger_propagator: true, trace_context_propagator: true });
  });

  test("no endpoints is valid", () => {
    const { value, messages } = decode("");
    assert.deepEqual(messages, []);
    assert.deepEqual(value?.endpoint, []);
  });

  test("TestBadAlloyConfig: bearer_token with bearer_token_file", () => {
    const { messages } = decode(`
      endpoint {
        url = "http://localhost:4100"
        remote_timeout = "10s"
        bearer_token = "token"
        bearer_token_file = "/path/to/file.token"
      }
      external_labels = {
        "foo" = "bar",
      }`);
    assert.deepEqual(messages, [
      "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
    ]);
  });

  const invalid: [string, string, string][] = [
    [
      "two auth blocks",
      `basic_auth { username = "u" }\n authorization { credentials = "c" }`,
      "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
    ],
    [
      "basic_auth password and file",
      `basic_auth {\n username = "u"\n password = "p"\n password_file = "/f"\n}`,
      "at most one of basic_auth password & password_file must be configured",
    ],
    [
      "authorization type basic",
      `authorization {\n type = "Basic"\n credentials = "c"\n}`,
      'authorization type cannot be set to "basic", use "basic_auth" block instead',
    ],
    [
      "oauth2 without client_id",
      `oauth2 {\n token_url = "http://t"\n client_secret = "s"\n}`,
      "oauth2 client_id must be configured",
    ],
    [
      "oauth2 without secret",
      `oauth2 {\n client_id = "i"\n token_url = "http://t"\n}`,
      "either oauth2 client_secret or client_secret_file must be configured",
    ],
    [
      "tls ca twice",
      `tls_config {\n ca_pem = "x"\n ca_file = "/y"\n}`,
      "at most one of ca_pem and ca_file must be configured",
    ],
    ["tls min_version", `tls_config {\n min_version = "TLS9"\n}`, "unknown TLS version: TLS9"],
    [
      "reserved http header",
      `http_headers = { "content-type" = ["x"] }`,
      'setting header "Content-Type" is not allowed',
    ],
    [
      "no_proxy alone",
      `no_proxy = "example.com"`,
      "if no_proxy is configured, proxy_url must also be configured",
    ],
    [
      "proxy header alone",
      `proxy_connect_header = { "X-A" = ["v"] }`,
      "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
    ],
    [
      "env proxy and proxy_url",
      `proxy_from_environment = true\n proxy_url = "http://p:1"`,
      "if proxy_from_environment is configured, proxy_url must not be configured",
    ],
  ];
  for (const [name, body, message] of invalid) {
    test(`invalid: ${name}`, () => {
      const { messages } = decode(`endpoint {\n url = "http://localhost:4100"\n ${body}\n}`);
      assert.deepEqual(messages, [message]);
    });
  }

  test("a missing url", () => {
    const { messages } = decode("endpoint {\n}");
    assert.deepEqual(messages, ['missing required attribute "url"']);
  });

  test("secrets decode as secrets", () => {
    const { value } = decode(`endpoint {
      url = "http://localhost:4100"
      basic_auth {
        username = "u"
        password = "hunter2"
      }
      http_headers = { "X-Token" = ["t1", "t2"] }
    }`);
    const ep = value?.endpoint[0];
    assert.equal(String(ep?.basic_auth?.password), "(secret)");
    assert.equal(ep?.basic_auth?.password?.reveal(), "hunter2");
    assert.deepEqual(
      ep?.http_headers?.["X-Token"]?.map((s) => s.reveal()),
      ["t1", "t2"],
    );
  });
});

describe("pyroscope.write queue block", () => {
  test("absent: no queue (Alloy's synchronous behaviour)", () => {
    const { value } = decode(`endpoint { url = "http://localhost:4100" }`);
    assert.equal(value?.queue, undefined);
  });

  test("empty: the defaults", () => {
    const { value, messages } = decode("queue { }");
    assert.deepEqual(messages, []);
    assert.deepEqual(value?.queue, {
      path: undefined,
      max_size: 1024 ** 3,
      max_age: 3_600_000,
      fsync: "always",
      max_inflight_per_endpoint: 4,
    });
  });

  test("every setting", () => {
    const { value, messages } = decode(`queue {
      path = "/var/lib/relay/q"
      max_size = "256MiB"
      max_age = "30m"
      fsync = "interval"
      max_inflight_per_endpoint = 8
    }`);
    assert.deepEqual(messages, []);
    assert.deepEqual(value?.queue, {
      path: "/var/lib/relay/q",
      max_size: 256 * 1024 ** 2,
      max_age: 1_800_000,
      fsync: "interval",
      max_inflight_per_endpoint: 8,
    });
  });

  test("invalid settings are reported together", () => {
    const { messages } = decode(`queue {
      path = ""
      max_size = 0
      max_age = "0s"
      max_inflight_per_endpoint = 0
    }`);
    assert.deepEqual(messages, [
      "path must not be empty",
      "max_size must be greater than 0",
      "max_age must be greater than 0",
      "max_inflight_per_endpoint must be at least 1",
    ]);
  });

  test("an unknown fsync mode", () => {
    const { messages } = decode(`queue { fsync = "sometimes" }`);
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? "", /sometimes/);
  });
});
