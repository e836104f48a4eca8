import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { RECEIVER_HOST_TYPE } from "../../../pyroscope/receiver.ts";
import { SINGLE_PROCESS } from "../../../runtime/component.ts";
import type { BlockStmt } from "../../../syntax/ast.ts";
import { decodeBody } from "../../../syntax/decode.ts";
import { diagnosticOneLine } from "../../../syntax/diagnostics.ts";
import { parseFile } from "../../../syntax/parser.ts";
import { Capsule, type ObjectValue, type Value } from "../../../syntax/value.ts";
import {
  DEFAULT_MAX_INFLIGHT_BODY_SIZE,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  type ReceiveHttpArguments,
} from "./arguments.ts";
import { receiveHttpRegistration } from "./index.ts";
import type { ReceiveHttp } from "./receive-http.ts";
import { RecordingReceiver, rawRequest } from "./testkit.ts";

const FILE = "config.alloy";
const receiver = new RecordingReceiver();

/** The scope `pyroscope.write.default.receiver` resolves in. */
function scope(): ObjectValue {
  const m = (entries: [string, Value][]): ObjectValue => new Map(entries);
  return m([
    [
      "pyroscope",
      m([["write", m([["default", m([["receiver", new Capsule(RECEIVER_HOST_TYPE, receiver)]])]])]]),
    ],
  ]);
}

function decode(source: string): { value: ReceiveHttpArguments | undefined; errors: string[] } {
  const { file, diagnostics } = parseFile(source, FILE);
  assert.deepEqual(diagnostics.map(diagnosticOneLine), []);
  const block = file.body[0] as BlockStmt;
  const r = decodeBody(receiveHttpRegistration.args, block.body, { scope: scope(), file: FILE, block });
  return {
    value: r.value,
    errors: r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
  };
}

function ok(source: string): ReceiveHttpArguments {
  const r = decode(source);
  assert.deepEqual(r.errors, []);
  assert.ok(r.value);
  return r.value;
}

describe("arguments from config text", () => {
  test("defaults are Alloy's, and the server runs even without an http block", () => {
    const a = ok(`pyroscope.receive_http "default" {\n  forward_to = [pyroscope.write.default.receiver]\n}`);
    assert.deepEqual(a.forward_to, [receiver]);
    assert.equal(a.http.listen_address, "");
    assert.equal(a.http.listen_port, 8080);
    assert.equal(a.http.conn_limit, 16384);
    assert.equal(a.http.server_read_timeout, 30_000);
    assert.equal(a.http.server_write_timeout, 30_000);
    assert.equal(a.http.server_idle_timeout, 120_000);
    assert.equal(a.http.tls, undefined);
    assert.equal(a.http.http2.enabled, false);
    assert.equal(a.http.http2.max_concurrent_streams, 100);
    assert.equal(a.graceful_shutdown_timeout, 30_000);
    assert.equal(a.max_request_body_size, DEFAULT_MAX_REQUEST_BODY_SIZE);
    assert.equal(a.max_inflight_body_size, DEFAULT_MAX_INFLIGHT_BODY_SIZE);
    assert.deepEqual(a.forward_headers, []);
  });

  test("omitted attributes inside http keep their defaults; an explicit conn_limit = 0 means no limit", () => {
    const a = ok(`pyroscope.receive_http "x" {
  forward_to = []
  http {
    listen_address = "0.0.0.0"
    listen_port = 9999
    server_read_timeout = "5s"
  }
}`);
    assert.equal(a.http.listen_port, 9999);
    assert.equal(a.http.conn_limit, 16384);
    assert.equal(a.http.server_read_timeout, 5000);
    assert.equal(a.http.server_write_timeout, 30_000);
    const b = ok(`pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    conn_limit = 0\n  }\n}`);
    assert.equal(b.http.conn_limit, 0);
  });

  test("the undocumented Alloy attributes and blocks are accepted", () => {
    const a = ok(`pyroscope.receive_http "x" {
  forward_to = []
  graceful_shutdown_timeout = "5s"
  debug_info_upload_timeout = "1m"
  http {
    http2 {
      enabled = true
      max_concurrent_streams = 50
    }
  }
  grpc {
    listen_port = 0
  }
}`);
    assert.equal(a.graceful_shutdown_timeout, 5000);
    assert.equal(a.http.http2.enabled, true);
    assert.equal(a.http.http2.max_concurrent_streams, 50);
    assert.equal(a.http.http2.ping_timeout, 15_000);
  });

  test("our additions: body limits as sizes, forward_headers", () => {
    const a = ok(`pyroscope.receive_http "x" {
  forward_to = []
  max_request_body_size = "16MiB"
  max_inflight_body_size = "1GiB"
  forward_headers = ["X-Scope-OrgID"]
}`);
    assert.equal(a.max_request_body_size, 16 * 1024 * 1024);
    assert.equal(a.max_inflight_body_size, 1024 * 1024 * 1024);
    assert.deepEqual(a.forward_headers, ["X-Scope-OrgID"]);
  });

  test("a tls block with a certificate and a key", () => {
    const a = ok(`pyroscope.receive_http "x" {
  forward_to = []
  http {
    tls {
      cert_file = "/etc/tls/cert.pem"
      key_pem = "KEY"
      client_auth_type = "RequireAndVerifyClientCert"
      client_ca = "CA"
      min_version = "TLS13"
      cipher_suites = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256"
    }
  }
}`);
    assert.equal(a.http.tls?.cert_file, "/etc/tls/cert.pem");
    assert.equal(a.http.tls?.key_pem?.reveal(), "KEY");
    assert.equal(String(a.http.tls?.key_pem), "(secret)");
    assert.equal(a.http.tls?.min_version, "TLS13");
  });

  const bad: [string, string, RegExp][] = [
    ["forward_to is required", `pyroscope.receive_http "x" {\n}`, /missing required attribute "forward_to"/],
    [
      "a tls block without a key",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    tls {\n      cert_pem = "C"\n    }\n  }\n}`,
      /a private key is required to serve TLS/,
    ],
    [
      "both cert_pem and cert_file",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    tls {\n      cert_pem = "C"\n      cert_file = "f"\n      key_pem = "K"\n    }\n  }\n}`,
      /at most one of cert_pem and cert_file must be set/,
    ],
    [
      "a client CA without a client auth policy",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    tls {\n      cert_pem = "C"\n      key_pem = "K"\n      client_ca = "CA"\n    }\n  }\n}`,
      /Client CA's have been configured without a Client Auth Policy/,
    ],
    [
      "an unknown client_auth_type",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    tls {\n      cert_pem = "C"\n      key_pem = "K"\n      client_auth_type = "Sometimes"\n    }\n  }\n}`,
      /should be one of/,
    ],
    [
      "an unknown cipher suite",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    tls {\n      cert_pem = "C"\n      key_pem = "K"\n      cipher_suites = "TLS_FAKE"\n    }\n  }\n}`,
      /cipher suite TLS_FAKE is unknown or not supported/,
    ],
    [
      "a port out of range",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  http {\n    listen_port = 70000\n  }\n}`,
      /listen_port must be between 0 and 65535/,
    ],
    [
      "an in-flight budget smaller than one request",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  max_inflight_body_size = "1MiB"\n}`,
      /max_inflight_body_size \(1048576 bytes\) must be at least max_request_body_size/,
    ],
    [
      "a forward_headers entry that is not a header name",
      `pyroscope.receive_http "x" {\n  forward_to = []\n  forward_headers = ["X Bad"]\n}`,
      /"X Bad" is not a valid header name/,
    ],
    [
      "a receiver of the wrong type",
      `pyroscope.receive_http "x" {\n  forward_to = ["not a receiver"]\n}`,
      /.+/,
    ],
  ];
  for (const [what, source, message] of bad) {
    test(`rejected: ${what}`, () => {
      const r = decode(source);
      assert.equal(r.value, undefined);
      assert.ok(
        r.errors.some((e) => message.test(e)),
        `expected ${message} in ${JSON.stringify(r.errors)}`,
      );
    });
  }
});

describe("from config text to a running component", () => {
  test("the registration builds a component that forwards to the configured receiver", async () => {
    const args = ok(`pyroscope.receive_http "default" {
  http {
    listen_address = "127.0.0.1"
    listen_port = 0
  }
  forward_to = [pyroscope.write.default.receiver]
}`);
    const component = (await receiveHttpRegistration.build(
      {
        id: "pyroscope.receive_http.default",
        logger: pino({ level: "silent" }),
        registry: new Registry(),
        dataPath: "",
        worker: SINGLE_PROCESS,
        onStateChange: () => {},
      },
      args,
    )) as ReceiveHttp;
    const controller = new AbortController();
    const run = component.run(controller.signal);
    try {
      const before = receiver.ingests.length;
      const res = await rawRequest(`http://127.0.0.1:${component.port}/ingest?name=from-config`, {
        body: "x",
      });
      assert.equal(res.status, 200);
      assert.equal(receiver.ingests.length, before + 1);
      assert.equal(receiver.ingests.at(-1)!.labels.get("service_name"), "from-config");
    } finally {
      controller.abort();
      await run;
    }
  });
});
