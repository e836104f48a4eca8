import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Agent, fetch as undiciFetch } from "undici";
import { PusherService, PushRequestSchema } from "../../src/pyroscope/gen/push/v1/push_pb.ts";
import { testCertificates } from "./certs.ts";
import { type FakePyroscope, headerValues, PUSH_PATH, startFakePyroscope } from "./fake-pyroscope.ts";
import { readFixture } from "./fixtures.ts";

const fakes: FakePyroscope[] = [];
after(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

async function fake(...args: Parameters<typeof startFakePyroscope>): Promise<FakePyroscope> {
  const f = await startFakePyroscope(...args);
  fakes.push(f);
  return f;
}

function pushClient(baseUrl: string, useBinaryFormat = true) {
  return createClient(
    PusherService,
    createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat }),
  );
}

const request = create(PushRequestSchema, {
  series: [
    {
      labels: [{ name: "__name__", value: "process_cpu" }],
      samples: [{ rawProfile: new Uint8Array([1, 2, 3]), ID: "id-1" }],
    },
  ],
});

test("records an /ingest upload byte for byte, with query and every Content-Type value", async () => {
  const f = await fake();
  const body = readFixture("pprof/go-cpu.pb.gz");
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      `${f.url}/prefix/ingest?name=app%7Ba%3Db%7D&from=1`,
      { method: "POST" },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.setHeader("Content-Type", ["ct1", "ct2"]);
    req.setHeader("X-Scope-OrgID", "tenant-a");
    req.on("error", reject);
    req.end(body);
  });
  assert.equal(status, 200);
  const [r] = await f.waitFor(1, { kind: "ingest" });
  assert.equal(r?.path, "/prefix/ingest");
  assert.equal(r?.query, "name=app%7Ba%3Db%7D&from=1");
  assert.equal(r?.method, "POST");
  assert.deepEqual(r?.body, body);
  assert.deepEqual(headerValues(r!, "content-type"), ["ct1", "ct2"]);
  assert.equal(r?.headers["x-scope-orgid"], "tenant-a");
});

test("decodes Connect pushes, binary and JSON, and answers success", async () => {
  const f = await fake();
  await pushClient(f.url).push(request);
  await pushClient(f.url, false).push(request);
  const pushes = await f.waitFor(2, { kind: "push" });
  for (const p of pushes) {
    assert.equal(p.path, PUSH_PATH);
    assert.equal(p.push?.series[0]?.labels[0]?.value, "process_cpu");
    assert.equal(p.push?.series[0]?.samples[0]?.ID, "id-1");
    assert.deepEqual(p.push?.series[0]?.samples[0]?.rawProfile, new Uint8Array([1, 2, 3]));
  }
  assert.equal(pushes[0]?.headers["content-type"], "application/proto");
  assert.equal(pushes[1]?.headers["content-type"], "application/json");
});

test("decodes a gzip push body from the fixtures (the pyroscope-rs shape)", async () => {
  const f = await fake();
  const res = await fetch(`${f.url}${PUSH_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/proto", "content-encoding": "gzip" },
    body: readFixture("push/push-multi-series.pb.gz"),
  });
  assert.equal(res.status, 200);
  const [p] = await f.waitFor(1);
  assert.equal(p?.push?.series.length, 3);
  const bad = await fetch(`${f.url}${PUSH_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body: gzipSync(Buffer.from("x")),
  });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, "invalid_argument");
  const wrongType = await fetch(`${f.url}${PUSH_PATH}`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
  });
  assert.equal(wrongType.status, 415);
});

test("programmed answers: Connect codes reach the client, plain HTTP errors and Retry-After", async () => {
  const answers = [
    { connectCode: "invalid_argument", message: "bad labels" },
    { status: 429, retryAfter: 7, body: "slow down" },
  ] as const;
  const f = await fake({ respond: (r) => answers[r.index] });
  await assert.rejects(pushClient(f.url).push(request), (err: unknown) => {
    const e = ConnectError.from(err);
    return e.code === Code.InvalidArgument && e.rawMessage === "bad labels";
  });
  const res = await fetch(`${f.url}/ingest?name=x`, { method: "POST", body: "foo;bar 1" });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "7");
  assert.equal(await res.text(), "slow down");
});

test("failFirst fails the first N requests, then the responder answers", async () => {
  const f = await fake({ failFirst: 2, failWith: { status: 503, message: "down" } });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${f.url}/ingest`, { method: "POST", body: "x" });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  assert.deepEqual(statuses, [503, 503, 200]);
  const unknown = await fetch(`${f.url}/nope`, { method: "POST" });
  assert.equal(unknown.status, 404);
  assert.equal(await unknown.text(), "404 page not found\n");
});

test("a hung request is recorded at once and released by close(); a reset breaks the connection", async () => {
  const f = await startFakePyroscope({ respond: (r) => (r.index === 0 ? { hang: true } : { reset: true }) });
  const hung = fetch(`${f.url}/ingest`, { method: "POST", body: "x" });
  await f.waitFor(1);
  await assert.rejects(fetch(`${f.url}/ingest`, { method: "POST", body: "y" }));
  await f.close();
  await assert.rejects(hung);
  await assert.rejects(f.waitFor(5, { timeoutMs: 1000 }), /closed/);
});

test("waitFor rejects when the requests do not come in time", async () => {
  const f = await fake();
  await assert.rejects(f.waitFor(1, { timeoutMs: 20 }), /waited 20ms for 1 {2}requests, got 0/);
});

test("a delayed answer arrives after the request was recorded", async () => {
  const f = await fake({ respond: () => ({ delayMs: 50 }) });
  let answered = false;
  const res = fetch(`${f.url}/ingest`, { method: "POST", body: "x" }).then((r) => {
    answered = true;
    return r;
  });
  await f.waitFor(1);
  assert.equal(answered, false);
  assert.equal((await res).status, 200);
});

test("serves HTTPS, HTTP/2 and mutual TLS with the generated test certificates", async () => {
  const certs = testCertificates();
  const tls = { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true };
  const f = await fake({ tls, http2: true });
  assert.match(f.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const h1 = new Agent({ connect: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } });
  const h2 = new Agent({
    allowH2: true,
    connect: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
  });
  const noClientCert = new Agent({ connect: { ca: certs.ca } });
  const untrusted = new Agent({ connect: { ca: certs.otherCa } });
  try {
    for (const dispatcher of [h1, h2]) {
      const res = await undiciFetch(`${f.url}/ingest`, { method: "POST", body: "x", dispatcher });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const [r1, r2] = await f.waitFor(2);
    assert.equal(r1?.httpVersion, "1.1");
    assert.equal(r2?.httpVersion, "2.0");
    assert.equal(r1?.clientCertificateCN, "test-client");
    assert.equal(r2?.clientCertificateCN, "test-client");
    await assert.rejects(
      undiciFetch(`${f.url}/ingest`, { method: "POST", body: "x", dispatcher: untrusted }),
    );
    await assert.rejects(
      undiciFetch(`${f.url}/ingest`, { method: "POST", body: "x", dispatcher: noClientCert }).then((r) =>
        r.text(),
      ),
    );
  } finally {
    await Promise.all([h1.close(), h2.close(), noClientCert.close(), untrusted.close()]);
  }
});
