import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { inspect } from "node:util";
import { startLoadedAgent } from "../../../../test/support/agent.ts";
import { testCertificates } from "../../../../test/support/certs.ts";
import { runCommandMerged } from "../../../../test/support/cli-io.ts";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { freePort } from "../../../../test/support/free-port.ts";
import { pushRequestBody } from "../../../../test/support/push-request.ts";
import { main } from "../../../cli/main.ts";
import { IngestQuery } from "../../../pyroscope/ingest-query.ts";
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
  after(() => rmSync(dir, { recursive: true, force: true }));
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
      headers: {},
      labels: Labels.from({ __name__: "process_cpu", service_name: "svc" }),
      samples: [{ id: "1", rawProfile: new Uint8Array([1, 2, 3]) }],
    }),
    await w.receiver.ingest({
      headers: {},
      labels: Labels.from({ __name__: "svc.cpu" }),
      body: new Uint8Array([4, 5, 6]),
      contentType: ["application/octet-stream"],
      path: "/ingest",
      query: IngestQuery.parse("name=svc.cpu"),
    }),
  ];
  assert.ok(outcomes.every((o) => !o.ok));
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
    // The last endpoint's `url` is a plain string (as in Alloy), shown with its password masked.
    componentsApi: JSON.stringify(encodeBody(writeArguments, args)),
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

test("secrets never reach the agent's logs, client answers, /metrics, the components API or reload errors", async () => {
  const certs = testCertificates();
  const keyMarkers = [certs.server.key, certs.client.key].map((k) => k.split("\n")[1] ?? "");
  const fake = await startFakePyroscope({
    respond: () => ({ status: 401, connectCode: "unauthenticated", message: "who are you" }),
  });
  after(() => fake.close());
  const tokenServer = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end('{"error":"invalid_client"}');
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
  after(() => tokenServer.close());
  const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
  const dir = mkdtempSync(join(tmpdir(), "profile-relay-agent-secrets-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const passwordFile = join(dir, "password");
  writeFileSync(passwordFile, SECRET);
  const port = await freePort();
  const config = `logging {
  level = "debug"
}

pyroscope.receive_http "r" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = ${port}
    tls {
      cert_pem = ${JSON.stringify(certs.server.cert)}
      key_pem  = ${JSON.stringify(certs.server.key)}
    }
  }
  forward_to = [pyroscope.write.w.receiver]
}

pyroscope.write "w" {
  endpoint {
    name                = "basic"
    url                 = "${fake.url}"
    max_backoff_retries = 1
    basic_auth {
      username = "me"
      password = "${SECRET}"
    }
    http_headers = { "X-Api-Key" = ["${SECRET}"] }
  }
  endpoint {
    name                = "basic-file"
    url                 = "${fake.url}"
    max_backoff_retries = 1
    basic_auth {
      username      = "me"
      password_file = "${passwordFile}"
    }
  }
  endpoint {
    name                = "oauth"
    url                 = "${fake.url}"
    max_backoff_retries = 1
    oauth2 {
      client_id     = "id"
      client_secret = "${SECRET}"
      token_url     = "${tokenUrl}"
    }
  }
  endpoint {
    name                 = "bearer-proxy"
    url                  = "https://127.0.0.1:1"
    max_backoff_retries  = 1
    bearer_token         = "${SECRET}"
    proxy_url            = "http://127.0.0.1:1"
    proxy_connect_header = { "Proxy-Token" = ["${SECRET}"] }
  }
  endpoint {
    name                = "authorization-tls"
    url                 = "${fake.url.replace("http:", "https:")}"
    max_backoff_retries = 1
    authorization {
      type        = "Token"
      credentials = "${SECRET}"
    }
    tls_config {
      cert_pem = ${JSON.stringify(certs.client.cert)}
      key_pem  = ${JSON.stringify(certs.client.key)}
    }
  }
}
`;
  const { agent, path, logs } = await startLoadedAgent({ dir, config });
  after(() => agent.shutdown());

  const post = (target: string, body: Uint8Array, headers: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port, path: target, method: "POST", ca: certs.ca, headers, agent: false },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => {
            text += d.toString();
          });
          res.on("end", () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const push = pushRequestBody({ __name__: "process_cpu", service_name: "svc" }, new Uint8Array([1, 2, 3]));
  const base = `http://127.0.0.1:${agent.address.port}`;
  const get = async (p: string) => (await fetch(`${base}${p}`)).text();
  const surfaces: Record<string, string> = {
    ingestAnswer: await post("/ingest?name=svc", new Uint8Array([4, 5, 6])),
    pushAnswer: await post("/push.v1.PusherService/Push", push, { "Content-Type": "application/proto" }),
    metrics: await get("/metrics"),
    componentList: await get("/api/v0/web/components"),
    receiveHttpDetail: await get("/api/v0/web/components/pyroscope.receive_http.r"),
    writeDetail: await get("/api/v0/web/components/pyroscope.write.w"),
  };
  // the credentials were really used
  assert.ok(fake.requests.some((r) => r.headers["x-api-key"] === SECRET));
  assert.match(surfaces["ingestAnswer"]!, /^500 /);

  // a reload with errors right next to the secrets, and one that quotes a secret in its message
  writeFileSync(
    path,
    config
      .replace(`password = "${SECRET}"`, `password = "${SECRET}"\n      bogus = 1`)
      .replace(`credentials = "${SECRET}"`, `credentials = ["${SECRET}"]`),
  );
  surfaces["reloadAnswer"] = await get("/-/reload");
  assert.match(surfaces["reloadAnswer"]!, /unrecognized attribute name "bogus"/);
  surfaces["healthy"] = await get("/-/healthy");
  surfaces["writeDetailAfterReload"] = await get("/api/v0/web/components/pyroscope.write.w");
  const validateOutput = (await runCommandMerged(main, ["validate", path])).output;
  surfaces["validate"] = validateOutput;
  assert.match(validateOutput, /password = "\*+"/);
  await agent.shutdown();
  surfaces["logs"] = logs.join("");

  for (const [surface, text] of Object.entries(surfaces)) {
    assert.ok(text.length > 0, `${surface} is empty`);
    assert.ok(!text.includes(SECRET), `${surface} contains the secret`);
    for (const marker of keyMarkers) assert.ok(!text.includes(marker), `${surface} contains a private key`);
  }
  assert.match(surfaces["logs"]!, /"level":"debug"|level=debug/);
});
