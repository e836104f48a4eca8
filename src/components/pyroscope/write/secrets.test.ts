import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { inspect } from "node:util";
import { testCertificates } from "../../../../test/support/certs.ts";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { Labels } from "../../../pyroscope/labels.ts";
import { encodeBody } from "../../../runtime/alloyjson.ts";
import type { BlockStmt } from "../../../syntax/ast.ts";
import { decodeBody } from "../../../syntax/decode.ts";
import { parseFile } from "../../../syntax/parser.ts";
import { type WriteArguments, writeArguments } from "./arguments.ts";
import { startWrite } from "./test-harness.ts";

const SECRET = "s3cr3t-Xy9";

test("secrets never reach logs, outcomes, metrics, the components API or inspected arguments", async () => {
  const certs = testCertificates();
  const fake = await startFakePyroscope({
    // Every request fails (after a reset first), so errors, retries and warnings are produced and logged.
    respond: (r) =>
      r.index === 0
        ? { reset: true }
        : { status: 401, connectCode: "unauthenticated", message: "who are you" },
  });
  after(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), "profile-relay-secrets-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, SECRET);
  const keyMarker = certs.client.key.split("\n")[1] ?? "";
  const withUser = fake.url.replace("http://", `http://user:${SECRET}@`);
  const source = `pyroscope.write "default" {
    external_labels = { env = "test" }
    endpoint {
      name = "basic"
      url = "${fake.url}"
      min_backoff_period = "1ms"
      max_backoff_period = "2ms"
      max_backoff_retries = 2
      basic_auth {
        username = "me"
        password = "${SECRET}"
      }
      http_headers = { "X-Api-Key" = ["${SECRET}"] }
    }
    endpoint {
      name = "bearer"
      url = "${fake.url}"
      max_backoff_retries = 1
      bearer_token = "${SECRET}"
      proxy_url = "http://127.0.0.1:1"
      no_proxy = "127.0.0.1"
      proxy_connect_header = { "Proxy-Token" = ["${SECRET}"] }
    }
    endpoint {
      name = "authorization"
      url = "${fake.url}"
      max_backoff_retries = 1
      authorization {
        type = "Token"
        credentials = "${SECRET}"
      }
      tls_config {
        cert_pem = ${JSON.stringify(certs.client.cert)}
        key_pem = ${JSON.stringify(certs.client.key)}
      }
    }
    endpoint {
      name = "token-file"
      url = "${fake.url}"
      max_backoff_retries = 1
      bearer_token_file = "${tokenFile}"
    }
    endpoint {
      url = "${withUser}"
      max_backoff_retries = 1
    }
  }`;
  const { file } = parseFile(source, "secrets.alloy");
  const block = file.body[0] as BlockStmt;
  const decoded = decodeBody(writeArguments, block.body, { scope: new Map(), file: "secrets.alloy", block });
  assert.deepEqual(decoded.diagnostics, []);
  const args = decoded.value as WriteArguments;

  const w = await startWrite(args);
  after(() => w.stop());
  const outcomes = [
    await w.receiver.push({
      labels: Labels.from({ __name__: "process_cpu", service_name: "svc" }),
      samples: [{ id: "1", rawProfile: new Uint8Array([1, 2, 3]) }],
    }),
    await w.receiver.ingest({
      labels: Labels.from({ __name__: "svc.cpu" }),
      body: new Uint8Array([4, 5, 6]),
      contentType: ["application/octet-stream"],
      path: "/ingest",
      query: "name=svc.cpu",
    }),
  ];
  assert.ok(outcomes.every((o) => o.status !== "ok"));
  // The secrets were really sent (so the test would notice them if they leaked back).
  assert.ok(fake.requests.some((r) => r.headers["x-api-key"] === SECRET));

  // A build error mentioning key material must not quote it either.
  const badKey = {
    ...args.endpoint[2]!,
    tls_config: { ...args.endpoint[2]!.tls_config!, cert_pem: certs.server.cert },
  };
  const buildError = await w.component.update({ ...args, endpoint: [badKey] }).then(
    () => "",
    (err: unknown) => String(err),
  );
  assert.match(buildError, /unable to use specified client cert/);

  const withoutUrlUser = { ...args, endpoint: args.endpoint.slice(0, 4) };
  const surfaces: Record<string, string> = {
    logs: w.logs.join(""),
    outcomes: JSON.stringify(outcomes),
    metrics: await w.registry.metrics(),
    // The last endpoint's `url` is a plain string (as in Alloy), so it is shown as written there.
    componentsApi: JSON.stringify(encodeBody(writeArguments, withoutUrlUser)),
    inspected: inspect(withoutUrlUser, { depth: 10 }) + JSON.stringify(withoutUrlUser),
    buildError,
  };
  for (const [surface, text] of Object.entries(surfaces)) {
    assert.ok(text.length > 0, `${surface} is empty`);
    assert.ok(!text.includes(SECRET), `${surface} contains the secret`);
    assert.ok(!text.includes(keyMarker), `${surface} contains the private key`);
  }
  assert.match(surfaces["metrics"]!, /endpoint="http:\/\/user:xxxxx@127\.0\.0\.1:\d+\/?"/);
});
